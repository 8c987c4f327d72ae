import { useAlertFlood } from '../alerts/alert-flood.ts';
import { formatTime } from './format.ts';

/** "Alarm flood": more new alerts in the window than ISA-18.2's guidance, shown until the flood ends. */
export function FloodIndicator({ tenantId }: { tenantId: string | null }) {
  const flood = useAlertFlood(tenantId).data;
  if (!flood?.active) return null;
  const minutes = Math.round(flood.windowS / 60);
  return (
    <span
      className="flood"
      role="status"
      title={`${flood.count} new alerts in ${minutes} min (threshold ${flood.threshold})`}
    >
      <span aria-hidden="true">⚠</span> Alarm flood: {flood.count} in {minutes} min
      {flood.since ? ` since ${formatTime(flood.since)}` : ''}
    </span>
  );
}
