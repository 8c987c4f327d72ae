import { useMutation, useQueryClient } from '@tanstack/react-query';
import { can, type Role } from '@tidewatch/shared';
import { describeError } from '../api/api-error.ts';
import { alertActions } from '../alerts/alert-actions.ts';
import { alertDetailKey, useAlertDetail } from '../alerts/alert-feed.ts';
import { useAlertConsoleStore } from '../alerts/alert-console-store.ts';
import { needsAcknowledgement, type AlertRow } from '../alerts/alert-rows.ts';
import { useSessionStore } from '../session/session-store.ts';
import { AlertEscalationSection } from './alert-escalation.tsx';
import { AlertReadingsChart } from './alert-readings-chart.tsx';
import { formatAge, formatDateTime, formatValue } from './format.ts';
import { PriorityLabel, StateBadge, stateLabels } from './priority-label.tsx';

/** Unshelve and return to service need no dialog: one click, the history records who. */
function useDirectAction(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (action: 'unshelve' | 'return-to-service') =>
      action === 'unshelve' ? alertActions.unshelve(id) : alertActions.returnToService(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: alertDetailKey(id), exact: true }),
  });
}

/** One alert: what, where, since when, the readings around it, and every transition with who and why. */
export function AlertDetailPanel({ id, row, role }: { id: string; row: AlertRow | undefined; role: Role }) {
  const detail = useAlertDetail(id);
  const openDetail = useAlertConsoleStore((state) => state.openDetail);
  const openDialog = useAlertConsoleStore((state) => state.openDialog);
  const userId = useSessionStore((state) => state.session?.user.id);
  const direct = useDirectAction(id);
  // The list (kept live by the socket) is newer than a detail read a moment ago; the history comes from the read.
  const alert = row?.alert ?? detail.data;
  if (!alert) {
    return (
      <aside className="detail" aria-label="Alert detail">
        <p>{detail.isError ? describeError(detail.error) : 'Loading…'}</p>
      </aside>
    );
  }
  const open = alert.closedAt === null;
  const shelved = alert.state === 'shelved';
  const outOfService = alert.state === 'out_of_service';
  return (
    <aside className="detail" aria-label="Alert detail">
      <header className="detail__header">
        <PriorityLabel priority={alert.priority} />
        <StateBadge state={alert.state} />
        <button
          type="button"
          className="button button--quiet"
          onClick={() => {
            openDetail(null);
          }}
          aria-label="Close"
        >
          ✕
        </button>
      </header>
      <h2 className="detail__title">{alert.ruleName}</h2>
      <p className="detail__message">{alert.message}</p>
      <dl className="detail__facts">
        <dt>Asset</dt>
        <dd>{row?.assetLabel ?? '—'}</dd>
        <dt>Zone</dt>
        <dd>{row?.zoneName ?? '—'}</dd>
        <dt>Raised</dt>
        <dd>
          {formatDateTime(alert.raisedAt)} ({formatAge(alert.raisedAt, Date.now())} ago)
        </dd>
        <dt>Value</dt>
        <dd>
          {formatValue(alert.lastValue)} (raised at {formatValue(alert.raisedValue)})
        </dd>
        {alert.acknowledgedAt ? (
          <>
            <dt>Acknowledged</dt>
            <dd>{formatDateTime(alert.acknowledgedAt)}</dd>
          </>
        ) : null}
        {alert.shelvedUntil ? (
          <>
            <dt>Shelved until</dt>
            <dd>
              {formatDateTime(alert.shelvedUntil)}: {alert.shelveReason}
            </dd>
          </>
        ) : null}
        {alert.closedAt ? (
          <>
            <dt>Closed</dt>
            <dd>{formatDateTime(alert.closedAt)}</dd>
          </>
        ) : null}
      </dl>
      <div className="detail__actions">
        {can(role, 'alert:acknowledge') ? (
          <button
            type="button"
            className="button button--primary"
            disabled={!needsAcknowledgement(alert)}
            onClick={() => {
              openDialog({ kind: 'acknowledge', ids: [alert.id] });
            }}
          >
            Acknowledge (a)
          </button>
        ) : null}
        {can(role, 'alert:shelve') && open ? (
          shelved ? (
            <button
              type="button"
              className="button"
              disabled={direct.isPending}
              onClick={() => {
                direct.mutate('unshelve');
              }}
            >
              Unshelve
            </button>
          ) : (
            <button
              type="button"
              className="button"
              disabled={outOfService}
              onClick={() => {
                openDialog({ kind: 'shelve', id: alert.id });
              }}
            >
              Shelve… (s)
            </button>
          )
        ) : null}
        {can(role, 'alert:comment') ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              openDialog({ kind: 'comment', id: alert.id });
            }}
          >
            Comment… (c)
          </button>
        ) : null}
        {can(role, 'incident:create') ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              openDialog({ kind: 'open-incident', ids: [alert.id] });
            }}
          >
            Open incident… (i)
          </button>
        ) : null}
        {can(role, 'alert:out_of_service') && open ? (
          outOfService ? (
            <button
              type="button"
              className="button"
              disabled={direct.isPending}
              onClick={() => {
                direct.mutate('return-to-service');
              }}
            >
              Return to service
            </button>
          ) : (
            <button
              type="button"
              className="button"
              onClick={() => {
                openDialog({ kind: 'out-of-service', id: alert.id });
              }}
            >
              Out of service…
            </button>
          )
        ) : null}
      </div>
      {direct.isError ? <p className="detail__error">{describeError(direct.error)}</p> : null}
      <h3 className="detail__subtitle">Readings</h3>
      <AlertReadingsChart alert={alert} />
      <AlertEscalationSection alertId={alert.id} />
      <h3 className="detail__subtitle">History</h3>
      {detail.isError ? <p className="detail__error">{describeError(detail.error)}</p> : null}
      <ol className="timeline" aria-label="Alert history">
        {(detail.data?.transitions ?? []).map((transition) => (
          <li key={transition.id} className="timeline__item">
            <time dateTime={transition.at}>{formatDateTime(transition.at)}</time>
            <span>
              {transition.fromState && transition.fromState !== transition.toState
                ? `${stateLabels[transition.fromState]} → `
                : ''}
              <strong>{stateLabels[transition.toState]}</strong>
              {transition.value !== null ? ` at ${formatValue(transition.value)}` : ''}
            </span>
            {transition.userId ? (
              <span className="timeline__who">
                by{' '}
                {transition.userId === userId ? 'you' : (transition.userName ?? 'a platform administrator')}
              </span>
            ) : null}
            {transition.comment ? <q className="timeline__comment">{transition.comment}</q> : null}
          </li>
        ))}
      </ol>
    </aside>
  );
}
