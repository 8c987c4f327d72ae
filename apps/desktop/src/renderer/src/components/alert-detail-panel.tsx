import { can, type Role } from '@tidewatch/shared';
import { describeError } from '../api/api-error.ts';
import { useAlertDetail } from '../alerts/alert-feed.ts';
import { useAlertConsoleStore } from '../alerts/alert-console-store.ts';
import { needsAcknowledgement, type AlertRow } from '../alerts/alert-rows.ts';
import { formatAge, formatDateTime, formatValue } from './format.ts';
import { PriorityLabel, StateBadge, stateLabels } from './priority-label.tsx';

/** One alert: what, where, since when, and every transition with who and why. */
export function AlertDetailPanel({ id, row, role }: { id: string; row: AlertRow | undefined; role: Role }) {
  const detail = useAlertDetail(id);
  const openDetail = useAlertConsoleStore((state) => state.openDetail);
  const openDialog = useAlertConsoleStore((state) => state.openDialog);
  const alert = detail.data ?? row?.alert;
  if (!alert) {
    return (
      <aside className="detail" aria-label="Alert detail">
        <p>{detail.isError ? describeError(detail.error) : 'Loading…'}</p>
      </aside>
    );
  }
  const mayAcknowledge = can(role, 'alert:acknowledge');
  const mayShelve = can(role, 'alert:shelve');
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
      </dl>
      <div className="detail__actions">
        {mayAcknowledge ? (
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
        {mayShelve ? (
          <button
            type="button"
            className="button"
            disabled={alert.state === 'shelved' || alert.closedAt !== null}
            onClick={() => {
              openDialog({ kind: 'shelve', id: alert.id });
            }}
          >
            Shelve…
          </button>
        ) : null}
      </div>
      <h3 className="detail__subtitle">History</h3>
      {detail.isError ? <p className="detail__error">{describeError(detail.error)}</p> : null}
      <ol className="timeline">
        {(detail.data?.transitions ?? []).map((transition) => (
          <li key={transition.id} className="timeline__item">
            <time dateTime={transition.at}>{formatDateTime(transition.at)}</time>
            <span>
              {transition.fromState ? `${stateLabels[transition.fromState]} → ` : ''}
              <strong>{stateLabels[transition.toState]}</strong>
              {transition.value !== null ? ` at ${formatValue(transition.value)}` : ''}
            </span>
            {transition.userId ? (
              <span className="timeline__who">by user {transition.userId.slice(0, 8)}</span>
            ) : null}
            {transition.comment ? <q className="timeline__comment">{transition.comment}</q> : null}
          </li>
        ))}
      </ol>
    </aside>
  );
}
