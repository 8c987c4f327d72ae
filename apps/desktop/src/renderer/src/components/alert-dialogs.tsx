import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  alertPriorities,
  can,
  OPERATOR_MAX_SHELVE_SECONDS,
  type Alert,
  type AlertPriority,
  type Role,
} from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { acknowledgeAlerts, alertActions } from '../alerts/alert-actions.ts';
import { useAlertConsoleStore } from '../alerts/alert-console-store.ts';
import { alertDetailKey } from '../alerts/alert-feed.ts';
import { incidentActions } from '../incidents/incident-actions.ts';
import { applyIncident } from '../incidents/incident-queries.ts';
import { useViewStore } from '../shell/view-store.ts';
import { Dialog, DialogActions } from './dialog.tsx';
import { priorityStyle } from './priority-label.tsx';

const shelveDurations = [
  { seconds: 60, label: '1 minute' },
  { seconds: 5 * 60, label: '5 minutes' },
  { seconds: 15 * 60, label: '15 minutes' },
  { seconds: 60 * 60, label: '1 hour' },
  { seconds: 8 * 3600, label: '8 hours (a shift)' },
  { seconds: 24 * 3600, label: '24 hours' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
];

/**
 * After an action: close the dialog and clear the selection. The list itself changes when the socket brings the
 * change (to this console and every other one alike); an open detail panel reads the new history.
 */
function useAfterAction() {
  const queryClient = useQueryClient();
  const close = useAlertConsoleStore((state) => state.openDialog);
  const clearSelection = useAlertConsoleStore((state) => state.clearSelection);
  return async (ids: readonly string[]) => {
    clearSelection();
    close({ kind: 'none' });
    await Promise.all(
      ids.map((id) => queryClient.invalidateQueries({ queryKey: alertDetailKey(id), exact: true })),
    );
  };
}

function useCloseDialog() {
  const open = useAlertConsoleStore((state) => state.openDialog);
  return () => {
    open({ kind: 'none' });
  };
}

function ErrorLine({ error }: { error: unknown }) {
  return (
    <p role="alert" className="dialog__error">
      {describeError(error)}
    </p>
  );
}

export function AcknowledgeDialog({ ids }: { ids: readonly string[] }) {
  const [comment, setComment] = useState('');
  const cancel = useCloseDialog();
  const after = useAfterAction();
  const acknowledge = useMutation({
    mutationFn: () => acknowledgeAlerts(ids, comment),
    onSuccess: () => after(ids),
  });
  return (
    <Dialog title={ids.length === 1 ? 'Acknowledge alert' : `Acknowledge ${ids.length} alerts`}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          acknowledge.mutate();
        }}
      >
        <label className="field">
          <span>Comment (optional)</span>
          <textarea
            value={comment}
            onChange={(event) => {
              setComment(event.target.value);
            }}
            maxLength={2000}
            autoFocus
          />
        </label>
        {acknowledge.isError ? <ErrorLine error={acknowledge.error} /> : null}
        <DialogActions
          onCancel={cancel}
          busy={acknowledge.isPending}
          submitLabel={acknowledge.isPending ? 'Acknowledging…' : 'Acknowledge'}
        />
      </form>
    </Dialog>
  );
}

export function ShelveDialog({ id, role }: { id: string; role: Role }) {
  const maxSeconds = can(role, 'alert:shelve_long') ? Infinity : OPERATOR_MAX_SHELVE_SECONDS;
  const choices = shelveDurations.filter((choice) => choice.seconds <= maxSeconds);
  const [durationS, setDurationS] = useState(15 * 60);
  const [reason, setReason] = useState('');
  const cancel = useCloseDialog();
  const after = useAfterAction();
  const shelve = useMutation({
    mutationFn: () => alertActions.shelve(id, { durationS, reason: reason.trim() }),
    onSuccess: () => after([id]),
  });
  return (
    <Dialog title="Shelve alert">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          shelve.mutate();
        }}
      >
        <label className="field">
          <span>For</span>
          <select
            value={durationS}
            onChange={(event) => {
              setDurationS(Number(event.target.value));
            }}
          >
            {choices.map((choice) => (
              <option key={choice.seconds} value={choice.seconds}>
                {choice.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Reason</span>
          <textarea
            value={reason}
            onChange={(event) => {
              setReason(event.target.value);
            }}
            maxLength={2000}
            required
            autoFocus
          />
        </label>
        {shelve.isError ? <ErrorLine error={shelve.error} /> : null}
        <DialogActions
          onCancel={cancel}
          busy={shelve.isPending}
          disabled={reason.trim() === ''}
          submitLabel="Shelve"
        />
      </form>
    </Dialog>
  );
}

/** A comment for the alert's history, or (out of service) the reason it is taken out. */
export function CommentDialog({ id, purpose }: { id: string; purpose: 'comment' | 'out-of-service' }) {
  const [comment, setComment] = useState('');
  const cancel = useCloseDialog();
  const after = useAfterAction();
  const send = useMutation({
    mutationFn: () =>
      purpose === 'comment'
        ? alertActions.comment(id, { comment: comment.trim() })
        : alertActions.removeFromService(id, { comment: comment.trim() }),
    onSuccess: () => after([id]),
  });
  const title = purpose === 'comment' ? 'Comment on alert' : 'Take alert out of service';
  return (
    <Dialog title={title}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          send.mutate();
        }}
      >
        <label className="field">
          <span>{purpose === 'comment' ? 'Comment' : 'Reason'}</span>
          <textarea
            value={comment}
            onChange={(event) => {
              setComment(event.target.value);
            }}
            maxLength={2000}
            required
            autoFocus
          />
        </label>
        {send.isError ? <ErrorLine error={send.error} /> : null}
        <DialogActions
          onCancel={cancel}
          busy={send.isPending}
          disabled={comment.trim() === ''}
          submitLabel={purpose === 'comment' ? 'Add comment' : 'Take out of service'}
        />
      </form>
    </Dialog>
  );
}

const priorityRank = (priority: AlertPriority) => alertPriorities.indexOf(priority);

/** An incident opened from alerts: titled after the first, as urgent as the most urgent of them. */
export function OpenIncidentDialog({ alerts, tenantId }: { alerts: readonly Alert[]; tenantId: string }) {
  const first = alerts[0];
  const mostUrgent = alerts.reduce<AlertPriority>(
    (urgent, alert) => (priorityRank(alert.priority) < priorityRank(urgent) ? alert.priority : urgent),
    'low',
  );
  const [title, setTitle] = useState(first ? `${first.ruleName}: ${first.message}`.slice(0, 300) : '');
  const [priority, setPriority] = useState<AlertPriority>(mostUrgent);
  const [description, setDescription] = useState('');
  const queryClient = useQueryClient();
  const cancel = useCloseDialog();
  const after = useAfterAction();
  const openIncident = useViewStore((state) => state.openIncident);
  const open = useMutation({
    mutationFn: () =>
      incidentActions.open({
        title: title.trim(),
        description: description.trim() || null,
        priority,
        alertIds: alerts.map((alert) => alert.id),
      }),
    onSuccess: async (incident) => {
      applyIncident(queryClient, tenantId, incident);
      await after([]);
      openIncident(incident.id);
    },
  });
  return (
    <Dialog
      title={alerts.length === 1 ? 'Open incident from alert' : `Open incident from ${alerts.length} alerts`}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          open.mutate();
        }}
      >
        <label className="field">
          <span>Title</span>
          <input
            value={title}
            onChange={(event) => {
              setTitle(event.target.value);
            }}
            maxLength={300}
            required
            autoFocus
          />
        </label>
        <label className="field">
          <span>Priority</span>
          <select
            value={priority}
            onChange={(event) => {
              setPriority(event.target.value as AlertPriority);
            }}
          >
            {alertPriorities.map((entry) => (
              <option key={entry} value={entry}>
                {priorityStyle[entry].label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Description (optional)</span>
          <textarea
            value={description}
            onChange={(event) => {
              setDescription(event.target.value);
            }}
            maxLength={10_000}
          />
        </label>
        {open.isError ? <ErrorLine error={open.error} /> : null}
        <DialogActions
          onCancel={cancel}
          busy={open.isPending}
          disabled={title.trim() === ''}
          submitLabel="Open incident"
        />
      </form>
    </Dialog>
  );
}
