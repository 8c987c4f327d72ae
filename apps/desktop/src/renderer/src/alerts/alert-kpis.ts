import { useQuery } from '@tanstack/react-query';
import type { AlertKpis } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

/** ISA-18.2 guidance per operator: about 6 alarms an hour is manageable, more than 12 is too many. */
export const MANAGEABLE_PER_HOUR = 6;
export const MAXIMUM_PER_HOUR = 12;

export const kpiRanges = [
  { hours: 24, label: 'Last 24 hours' },
  { hours: 7 * 24, label: 'Last 7 days' },
  { hours: 30 * 24, label: 'Last 30 days' },
] as const;

/** The alarm-management KPIs over the last `hours`, refreshed every minute while shown. */
export function useAlertKpis(tenantId: string | null, hours: number) {
  return useQuery({
    queryKey: ['alerts', 'kpis', tenantId, hours],
    enabled: tenantId !== null,
    refetchInterval: 60_000,
    queryFn: ({ signal }) => {
      const to = new Date();
      const from = new Date(to.getTime() - hours * 3_600_000);
      return apiRequest<AlertKpis>('/alerts/kpis', {
        query: { from: from.toISOString(), to: to.toISOString() },
        signal,
      });
    },
  });
}

/** How an hourly rate compares with the guidance. */
export function rateBand(perHour: number): 'ok' | 'over' | 'flood' {
  if (perHour > MAXIMUM_PER_HOUR) return 'flood';
  if (perHour > MANAGEABLE_PER_HOUR) return 'over';
  return 'ok';
}
