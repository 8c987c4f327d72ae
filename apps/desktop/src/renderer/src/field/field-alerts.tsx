import { can, type Alert, type Role } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { PriorityLabel } from '../components/priority-label.tsx';
import { formatDateTime } from '../components/format.ts';
import { enqueue } from './field-sync.ts';
import { useAlert, useOpenAlerts } from './field-queries.ts';
import { routeHref } from './field-route.ts';

const needsAck = (alert: Alert) => alert.state.endsWith('_unacknowledged');

export function FieldAlertList() {
  const alerts = useOpenAlerts();
  if (alerts.isError) return <p className="notice notice--error">{describeError(alerts.error)}</p>;
  if (!alerts.data) return <p className="notice">Loading alerts…</p>;
  if (alerts.data.length === 0) return <p className="notice">No open alerts in your zones.</p>;
  return (
    <ul className="field-list" aria-label="My alerts">
      {alerts.data.map((alert) => (
        <li key={alert.id}>
          <a
            className="field-card"
            href={routeHref({ screen: 'alert', id: alert.id })}
            data-alert-id={alert.id}
          >
            <PriorityLabel priority={alert.priority} />
            <span className="field-card__title">{alert.message}</span>
            <span className="field-card__meta">
              {needsAck(alert) ? 'Unacknowledged' : 'Acknowledged'} · {formatDateTime(alert.raisedAt)}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}

export function FieldAlertScreen({ id, role }: { id: string; role: Role }) {
  const alert = useAlert(id);
  const [comment, setComment] = useState('');
  const [queued, setQueued] = useState<string | null>(null);
  if (alert.isError) return <p className="notice notice--error">{describeError(alert.error)}</p>;
  if (!alert.data) return <p className="notice">Loading the alert…</p>;
  const data = alert.data;
  const text = comment.trim();
  const act = async (kind: 'acknowledge' | 'comment') => {
    if (kind === 'acknowledge') {
      await enqueue(`Acknowledge “${data.message}”`, {
        kind,
        alertId: data.id,
        ...(text ? { comment: text } : {}),
      });
    } else {
      await enqueue(`Comment on “${data.message}”`, { kind, alertId: data.id, comment: text });
    }
    setComment('');
    setQueued(kind === 'acknowledge' ? 'Acknowledgement queued' : 'Comment queued');
  };
  return (
    <article className="field-detail" aria-label="Alert">
      <h2>
        <PriorityLabel priority={data.priority} /> {data.message}
      </h2>
      <dl className="field-facts">
        <dt>State</dt>
        <dd data-testid="alert-state">{data.state.replaceAll('_', ' ')}</dd>
        <dt>Raised</dt>
        <dd>{formatDateTime(data.raisedAt)}</dd>
        <dt>Last value</dt>
        <dd>{data.lastValue ?? '—'}</dd>
      </dl>
      {data.assetId ? (
        <p>
          <a className="button" href={routeHref({ screen: 'asset', id: data.assetId })}>
            Open the asset
          </a>
        </p>
      ) : null}
      {can(role, 'alert:comment') || can(role, 'alert:acknowledge') ? (
        <div className="field-form">
          <label className="field">
            <span>Comment</span>
            <textarea
              value={comment}
              onChange={(event) => {
                setComment(event.target.value);
              }}
              rows={3}
            />
          </label>
          <div className="field-form__actions">
            {can(role, 'alert:acknowledge') && needsAck(data) ? (
              <button
                type="button"
                className="button button--primary"
                onClick={() => void act('acknowledge')}
              >
                Acknowledge
              </button>
            ) : null}
            {can(role, 'alert:comment') ? (
              <button type="button" className="button" disabled={!text} onClick={() => void act('comment')}>
                Add comment
              </button>
            ) : null}
          </div>
          {queued ? <p role="status">{queued}</p> : null}
        </div>
      ) : null}
    </article>
  );
}
