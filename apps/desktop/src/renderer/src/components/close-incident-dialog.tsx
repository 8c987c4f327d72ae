import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Incident } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { incidentActions } from '../incidents/incident-actions.ts';
import { applyIncident } from '../incidents/incident-queries.ts';
import { Dialog, DialogActions } from './dialog.tsx';

/** `<input type="datetime-local">` speaks local time without a zone. */
const toLocalInput = (at: number) => {
  const date = new Date(at - new Date(at).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
};
const fromLocalInput = (text: string) => new Date(text).toISOString();

/** Closing an incident records the work done: what, with which parts, from when to when. */
export function CloseIncidentDialog({
  incident,
  tenantId,
  onDone,
}: {
  incident: Incident;
  tenantId: string;
  onDone: () => void;
}) {
  const [workDone, setWorkDone] = useState('');
  const [partsUsed, setPartsUsed] = useState('');
  const [startedAt, setStartedAt] = useState(toLocalInput(Date.parse(incident.openedAt)));
  const [finishedAt, setFinishedAt] = useState(toLocalInput(Date.now()));
  const queryClient = useQueryClient();
  const close = useMutation({
    mutationFn: () =>
      incidentActions.close(incident.id, {
        workDone: workDone.trim(),
        partsUsed: partsUsed.trim() || null,
        startedAt: fromLocalInput(startedAt),
        finishedAt: fromLocalInput(finishedAt),
      }),
    onSuccess: (closed) => {
      applyIncident(queryClient, tenantId, closed);
      onDone();
    },
  });
  return (
    <Dialog title={`Close incident #${incident.number}`}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          close.mutate();
        }}
      >
        <label className="field">
          <span>Work done</span>
          <textarea
            value={workDone}
            maxLength={10_000}
            required
            autoFocus
            onChange={(event) => {
              setWorkDone(event.target.value);
            }}
          />
        </label>
        <label className="field">
          <span>Parts used (optional)</span>
          <input
            value={partsUsed}
            maxLength={2000}
            onChange={(event) => {
              setPartsUsed(event.target.value);
            }}
          />
        </label>
        <label className="field">
          <span>Work started</span>
          <input
            type="datetime-local"
            value={startedAt}
            required
            onChange={(event) => {
              setStartedAt(event.target.value);
            }}
          />
        </label>
        <label className="field">
          <span>Work finished</span>
          <input
            type="datetime-local"
            value={finishedAt}
            required
            onChange={(event) => {
              setFinishedAt(event.target.value);
            }}
          />
        </label>
        {close.isError ? (
          <p role="alert" className="dialog__error">
            {describeError(close.error)}
          </p>
        ) : null}
        <DialogActions
          onCancel={onDone}
          busy={close.isPending}
          disabled={workDone.trim() === '' || startedAt === '' || finishedAt === ''}
          submitLabel="Close incident"
        />
      </form>
    </Dialog>
  );
}
