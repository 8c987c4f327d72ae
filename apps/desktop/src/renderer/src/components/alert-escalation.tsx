import { useQuery } from '@tanstack/react-query';
import type { AlertEscalation } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';
import { formatDateTime } from './format.ts';

const stateLabels: Readonly<Record<AlertEscalation['messages'][number]['state'], string>> = {
  pending: 'waiting',
  sending: 'sending',
  delivered: 'delivered',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** Whom the alert's escalation texted, each message's delivery state, and whether it still runs. */
export function AlertEscalationSection({ alertId }: { alertId: string }) {
  const escalation = useQuery({
    queryKey: ['alerts', 'escalation', alertId],
    queryFn: ({ signal }) => apiRequest<AlertEscalation>(`/alerts/${alertId}/escalation`, { signal }),
    // Followed while it runs (an acknowledgement stops it within a tick); a stopped one no longer changes.
    refetchInterval: (query) => (query.state.data?.stoppedAt ? false : 3000),
  });
  const data = escalation.data;
  if (!data || data.policyId === null) return null;
  return (
    <section aria-label="Escalation">
      <h3 className="detail__subtitle">
        Escalation{' '}
        {data.stoppedAt
          ? `stopped ${formatDateTime(data.stoppedAt)} (${(data.stopReason ?? '').replaceAll('_', ' ')})`
          : `running, next step ${data.nextAt ? formatDateTime(data.nextAt) : ''}`}
      </h3>
      <ul className="handover__list">
        {data.messages.map((message) => (
          <li key={message.id}>
            SMS to …{message.phone.slice(-4)} (step {message.position + 1}, round {message.cycle + 1}):{' '}
            {stateLabels[message.state]}
            {message.deliveredAt ? ` ${formatDateTime(message.deliveredAt)}` : ''}
            {message.state === 'failed' && message.lastError ? `: ${message.lastError}` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
