import { useQuery, type QueryClient } from '@tanstack/react-query';
import type { AlertFlood, FloodEvent } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

export const alertFloodKey = (tenantId: string | null) => ['alerts', 'flood', tenantId] as const;

/** Whether the tenant is in an alarm flood: read once over REST, then kept current by the socket's `flood`. */
export function useAlertFlood(tenantId: string | null) {
  return useQuery({
    queryKey: alertFloodKey(tenantId),
    queryFn: ({ signal }) => apiRequest<AlertFlood>('/alerts/flood', { signal }),
    enabled: tenantId !== null,
    staleTime: Infinity,
  });
}

export function applyFloodEvent(queryClient: QueryClient, tenantId: string, event: FloodEvent): void {
  queryClient.setQueryData<AlertFlood>(alertFloodKey(tenantId), (flood) =>
    flood
      ? {
          ...flood,
          active: event.active,
          count: event.count,
          changedAt: event.at,
          since: event.active ? (flood.active ? flood.since : event.at) : null,
        }
      : flood,
  );
  // Without a REST answer yet (threshold, window), the next read fills in the rest.
  if (!queryClient.getQueryData(alertFloodKey(tenantId)))
    void queryClient.invalidateQueries({ queryKey: alertFloodKey(tenantId) });
}
