import { discardAction, syncQueue, useQueueStore } from './field-sync.ts';

/** The offline queue as the engineer sees it: what waits, what was refused, and why. */
export function QueuePanel() {
  const actions = useQueueStore((state) => state.actions);
  const syncing = useQueueStore((state) => state.syncing);
  const online = useQueueStore((state) => state.online);
  return (
    <section aria-label="Queue">
      <p role="status" data-testid="queue-summary">
        {actions.length === 0
          ? 'Everything is sent.'
          : `${String(actions.length)} waiting${online ? (syncing ? ', sending…' : '') : ', offline'}`}
      </p>
      {actions.length > 0 && online ? (
        <button type="button" className="button" onClick={() => void syncQueue()} disabled={syncing}>
          Send now
        </button>
      ) : null}
      <ul className="field-list" aria-label="Queued actions">
        {actions.map((action) => (
          <li key={action.id} className="field-card" data-testid="queued-action">
            <span className="field-card__title">{action.label}</span>
            <span className="field-card__meta">
              {action.refused ? 'Refused' : 'Waiting'}
              {action.attempts > 0 ? ` · ${String(action.attempts)} attempt(s)` : ''}
              {action.lastError ? ` · ${action.lastError}` : ''}
            </span>
            {action.refused ? (
              <button
                type="button"
                className="button button--quiet"
                onClick={() => void discardAction(action.id)}
              >
                Discard
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
