import { useConnectionStore } from '../connection/connection-store.ts';
import { formatTime } from './format.ts';

/**
 * Tells the operator plainly when what is on screen may be old. It goes by itself once the socket is back and
 * has replayed what was missed.
 */
export function ConnectionBanner({ dataUpdatedAt }: { dataUpdatedAt: number }) {
  const status = useConnectionStore((state) => state.status);
  const failingSince = useConnectionStore((state) => state.failingSince);
  if (status === 'online') return null;
  const asOf = dataUpdatedAt > 0 ? ` Alerts shown are as of ${formatTime(dataUpdatedAt)}.` : '';
  return (
    <div role="alert" className={`banner banner--${status}`} data-testid="connection-banner">
      {status === 'offline' ? (
        <strong>Offline: the server cannot be reached.</strong>
      ) : (
        <strong>Reconnecting to the server…</strong>
      )}
      <span>
        {failingSince ? ` Since ${formatTime(failingSince)}.` : ''}
        {asOf} Retrying automatically; what is missed is caught up on reconnection.
      </span>
    </div>
  );
}
