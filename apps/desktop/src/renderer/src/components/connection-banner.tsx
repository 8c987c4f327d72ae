import { useConnectionStore } from '../connection/connection-store.ts';
import { formatTime } from './format.ts';

/** Tells the operator plainly when the data on screen may be old; disappears by itself once back online. */
export function ConnectionBanner({ dataUpdatedAt }: { dataUpdatedAt: number }) {
  const status = useConnectionStore((state) => state.status);
  const failingSince = useConnectionStore((state) => state.failingSince);
  if (status === 'online') return null;
  const asOf = dataUpdatedAt > 0 ? ` Alerts shown are as of ${formatTime(dataUpdatedAt)}.` : '';
  return (
    <div role="alert" className={`banner banner--${status}`}>
      {status === 'offline' ? (
        <strong>Offline: the server cannot be reached.</strong>
      ) : (
        <strong>Reconnecting to the server…</strong>
      )}
      <span>
        {failingSince ? ` Since ${formatTime(failingSince)}.` : ''}
        {asOf} Retrying automatically.
      </span>
    </div>
  );
}
