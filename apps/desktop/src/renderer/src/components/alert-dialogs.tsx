import { can, OPERATOR_MAX_SHELVE_SECONDS, type Role } from '@tidewatch/shared';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { describeError } from '../api/api-error.ts';
import { acknowledgeAlerts, alertActions } from '../alerts/alert-actions.ts';
import { useAlertConsoleStore } from '../alerts/alert-console-store.ts';

const shelveDurations = [
  { seconds: 15 * 60, label: '15 minutes' },
  { seconds: 60 * 60, label: '1 hour' },
  { seconds: 8 * 3600, label: '8 hours (a shift)' },
  { seconds: 24 * 3600, label: '24 hours' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
];

function Dialog({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div className="dialog-backdrop">
      <div role="dialog" aria-modal="true" aria-label={title} className="dialog">
        <h2 className="dialog__title">{title}</h2>
        {children}
      </div>
    </div>
  );
}

function useAfterAction() {
  const queryClient = useQueryClient();
  const close = useAlertConsoleStore((state) => state.openDialog);
  const clearSelection = useAlertConsoleStore((state) => state.clearSelection);
  return async () => {
    clearSelection();
    close({ kind: 'none' });
    await queryClient.invalidateQueries({ queryKey: ['alerts'] });
  };
}

export function AcknowledgeDialog({ ids }: { ids: readonly string[] }) {
  const [comment, setComment] = useState('');
  const close = useAlertConsoleStore((state) => state.openDialog);
  const after = useAfterAction();
  const acknowledge = useMutation({ mutationFn: () => acknowledgeAlerts(ids, comment), onSuccess: after });
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    acknowledge.mutate();
  };
  return (
    <Dialog title={ids.length === 1 ? 'Acknowledge alert' : `Acknowledge ${ids.length} alerts`}>
      <form onSubmit={submit}>
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
        {acknowledge.isError ? (
          <p role="alert" className="dialog__error">
            {describeError(acknowledge.error)}
          </p>
        ) : null}
        <div className="dialog__actions">
          <button
            type="button"
            className="button"
            onClick={() => {
              close({ kind: 'none' });
            }}
          >
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={acknowledge.isPending}>
            {acknowledge.isPending ? 'Acknowledging…' : 'Acknowledge'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function ShelveDialog({ id, role }: { id: string; role: Role }) {
  const maxSeconds = can(role, 'alert:shelve_long') ? Infinity : OPERATOR_MAX_SHELVE_SECONDS;
  const choices = shelveDurations.filter((choice) => choice.seconds <= maxSeconds);
  const [durationS, setDurationS] = useState(choices[0]?.seconds ?? 900);
  const [reason, setReason] = useState('');
  const close = useAlertConsoleStore((state) => state.openDialog);
  const after = useAfterAction();
  const shelve = useMutation({
    mutationFn: () => alertActions.shelve(id, { durationS, reason: reason.trim() }),
    onSuccess: after,
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
          />
        </label>
        {shelve.isError ? (
          <p role="alert" className="dialog__error">
            {describeError(shelve.error)}
          </p>
        ) : null}
        <div className="dialog__actions">
          <button
            type="button"
            className="button"
            onClick={() => {
              close({ kind: 'none' });
            }}
          >
            Cancel
          </button>
          <button
            type="submit"
            className="button button--primary"
            disabled={shelve.isPending || reason.trim() === ''}
          >
            Shelve
          </button>
        </div>
      </form>
    </Dialog>
  );
}
