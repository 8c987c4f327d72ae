import { useMutation, useQueryClient } from '@tanstack/react-query';
import { can, type Incident, type IncidentStatus, type Role } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { incidentActions, type IncidentChange } from '../incidents/incident-actions.ts';
import { applyIncident, useIncidentDetail, useIncidents } from '../incidents/incident-queries.ts';
import type { Session } from '../session/session.ts';
import { useUserNames } from '../reference/reference-data.ts';
import { useViewStore } from '../shell/view-store.ts';
import { CloseIncidentDialog } from './close-incident-dialog.tsx';
import { formatDateTime } from './format.ts';
import { PriorityLabel, StateBadge } from './priority-label.tsx';

const statusLabels: Readonly<Record<IncidentStatus, string>> = {
  open: 'Open',
  in_progress: 'In progress',
  resolved: 'Resolved',
  closed: 'Closed',
};

function IncidentList({
  incidents,
  selectedId,
}: {
  incidents: readonly Incident[];
  selectedId: string | null;
}) {
  const openIncident = useViewStore((state) => state.openIncident);
  if (incidents.length === 0) return <p className="notice">No incidents yet.</p>;
  return (
    <ul className="incident-list" aria-label="Incidents">
      {incidents.map((incident) => (
        <li key={incident.id}>
          <button
            type="button"
            className={`incident-item${incident.id === selectedId ? ' incident-item--current' : ''}`}
            aria-current={incident.id === selectedId ? 'true' : undefined}
            onClick={() => {
              openIncident(incident.id);
            }}
          >
            <span className="incident-item__number">#{incident.number}</span>
            <PriorityLabel priority={incident.priority} compact />
            <span className="incident-item__title">{incident.title}</span>
            <span className={`incident-status incident-status--${incident.status}`}>
              {statusLabels[incident.status]}
            </span>
            <span className="incident-item__meta">
              {formatDateTime(incident.openedAt)} · {incident.alertIds.length} alert
              {incident.alertIds.length === 1 ? '' : 's'}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function useIncidentChange(tenantId: string, id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: IncidentChange) => incidentActions.change(id, change),
    onSuccess: (incident) => {
      applyIncident(queryClient, tenantId, incident);
    },
  });
}

function NoteForm({ tenantId, id }: { tenantId: string; id: string }) {
  const [body, setBody] = useState('');
  const queryClient = useQueryClient();
  const add = useMutation({
    mutationFn: () => incidentActions.addNote(id, body.trim()),
    onSuccess: (incident) => {
      setBody('');
      applyIncident(queryClient, tenantId, incident);
    },
  });
  return (
    <form
      className="note-form"
      onSubmit={(event) => {
        event.preventDefault();
        add.mutate();
      }}
    >
      <label className="field">
        <span>Add a note</span>
        <textarea
          value={body}
          maxLength={10_000}
          onChange={(event) => {
            setBody(event.target.value);
          }}
        />
      </label>
      {add.isError ? <p className="detail__error">{describeError(add.error)}</p> : null}
      <button type="submit" className="button" disabled={add.isPending || body.trim() === ''}>
        Add note
      </button>
    </form>
  );
}

function IncidentDetail({ id, session, role }: { id: string; session: Session; role: Role }) {
  const tenantId = session.tenantId ?? '';
  const detail = useIncidentDetail(id);
  const names = useUserNames(session.tenantId).data;
  const nameOf = (userId: string | null): string =>
    userId === null ? 'unknown' : (names?.get(userId) ?? 'a platform administrator');
  const change = useIncidentChange(tenantId, id);
  const [closing, setClosing] = useState(false);
  if (detail.isError) return <p className="detail__error">{describeError(detail.error)}</p>;
  const incident = detail.data;
  if (!incident) return <p className="notice">Loading…</p>;
  const closed = incident.status === 'closed';
  const assignedToMe = incident.assigneeId === session.user.id;
  return (
    <article className="incident-detail" aria-label={`Incident ${incident.number}`}>
      <header className="detail__header">
        <PriorityLabel priority={incident.priority} />
        <span className={`incident-status incident-status--${incident.status}`}>
          {statusLabels[incident.status]}
        </span>
      </header>
      <h2 className="detail__title">
        #{incident.number} {incident.title}
      </h2>
      {incident.description ? <p className="detail__message">{incident.description}</p> : null}
      <dl className="detail__facts">
        <dt>Opened</dt>
        <dd>{formatDateTime(incident.openedAt)}</dd>
        <dt>Assigned</dt>
        <dd>{incident.assigneeId ? (assignedToMe ? 'You' : nameOf(incident.assigneeId)) : 'Nobody'}</dd>
        {incident.closedAt ? (
          <>
            <dt>Closed</dt>
            <dd>{formatDateTime(incident.closedAt)}</dd>
          </>
        ) : null}
      </dl>
      {closed ? null : (
        <div className="detail__actions">
          {can(role, 'incident:note') && incident.status === 'open' ? (
            <button
              type="button"
              className="button"
              disabled={change.isPending}
              onClick={() => {
                change.mutate({ status: 'in_progress' });
              }}
            >
              Start work
            </button>
          ) : null}
          {can(role, 'incident:note') && incident.status !== 'resolved' ? (
            <button
              type="button"
              className="button"
              disabled={change.isPending}
              onClick={() => {
                change.mutate({ status: 'resolved' });
              }}
            >
              Mark resolved
            </button>
          ) : null}
          {can(role, 'incident:assign') ? (
            <button
              type="button"
              className="button"
              disabled={change.isPending}
              onClick={() => {
                change.mutate({ assigneeId: assignedToMe ? null : session.user.id });
              }}
            >
              {assignedToMe ? 'Unassign me' : 'Assign to me'}
            </button>
          ) : null}
          {can(role, 'incident:close') ? (
            <button
              type="button"
              className="button button--primary"
              onClick={() => {
                setClosing(true);
              }}
            >
              Close with maintenance log…
            </button>
          ) : null}
        </div>
      )}
      {change.isError ? <p className="detail__error">{describeError(change.error)}</p> : null}
      <h3 className="detail__subtitle">Alerts</h3>
      {incident.alerts.length === 0 ? <p className="detail__muted">No alerts linked.</p> : null}
      <ul className="incident-alerts">
        {incident.alerts.map((alert) => (
          <li key={alert.id}>
            <PriorityLabel priority={alert.priority} compact /> <StateBadge state={alert.state} />{' '}
            <strong>{alert.ruleName}</strong> {alert.message}
          </li>
        ))}
      </ul>
      <h3 className="detail__subtitle">Notes</h3>
      <ol className="timeline" aria-label="Incident notes">
        {incident.notes.map((note) => (
          <li key={note.id} className="timeline__item">
            <time dateTime={note.createdAt}>{formatDateTime(note.createdAt)}</time>
            <span className="timeline__who">
              {note.authorId === session.user.id ? 'you' : nameOf(note.authorId)}
            </span>
            <span className="timeline__comment">{note.body}</span>
          </li>
        ))}
      </ol>
      {!closed && can(role, 'incident:note') ? <NoteForm tenantId={tenantId} id={incident.id} /> : null}
      {incident.maintenanceLogs.length > 0 ? (
        <>
          <h3 className="detail__subtitle">Maintenance log</h3>
          <ul className="incident-alerts">
            {incident.maintenanceLogs.map((log) => (
              <li key={log.id}>
                {formatDateTime(log.startedAt)}
                {log.finishedAt ? ` to ${formatDateTime(log.finishedAt)}` : ''}: {log.workDone}
                {log.partsUsed ? ` (parts: ${log.partsUsed})` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {closing ? (
        <CloseIncidentDialog
          incident={incident}
          tenantId={tenantId}
          onDone={() => {
            setClosing(false);
          }}
        />
      ) : null}
    </article>
  );
}

/** Incidents: the newest first on the left, the chosen one with its alerts, notes and actions on the right. */
export function IncidentsView({ session }: { session: Session }) {
  const incidents = useIncidents(session.tenantId);
  const selectedId = useViewStore((state) => state.incidentId);
  return (
    <section className="incidents" aria-label="Incidents view">
      <div className="incidents__list">
        {incidents.isError ? <p className="notice notice--error">{describeError(incidents.error)}</p> : null}
        {incidents.data ? <IncidentList incidents={incidents.data} selectedId={selectedId} /> : null}
        {incidents.isPending ? <p className="notice">Loading incidents…</p> : null}
      </div>
      <div className="incidents__detail">
        {selectedId ? (
          <IncidentDetail key={selectedId} id={selectedId} session={session} role={session.user.role} />
        ) : (
          <p className="notice">Choose an incident, or open one from alerts (select them, then i).</p>
        )}
      </div>
    </section>
  );
}
