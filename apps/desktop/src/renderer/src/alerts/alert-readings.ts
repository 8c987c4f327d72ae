import { useQuery } from '@tanstack/react-query';
import type { Alert, TelemetryResponse } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

/** How far before the raise, and after it (or until now), the detail panel shows the series. */
export const READINGS_BEFORE_MS = 60 * 60_000;
export const READINGS_AFTER_MS = 60 * 60_000;
const MAX_POINTS = 240;

export interface ReadingWindow {
  readonly from: string;
  readonly to: string;
}

/** The hour before the alert was raised and up to an hour after it, never past now. */
export function readingWindow(alert: Pick<Alert, 'raisedAt'>, now: number): ReadingWindow {
  const raised = Date.parse(alert.raisedAt);
  const to = Math.max(raised + 60_000, Math.min(now, raised + READINGS_AFTER_MS));
  return { from: new Date(raised - READINGS_BEFORE_MS).toISOString(), to: new Date(to).toISOString() };
}

/** The readings of the alert's series around the moment it was raised (server-side downsampled). */
export function useAlertReadings(alert: Pick<Alert, 'id' | 'seriesId' | 'raisedAt'> | undefined) {
  const seriesId = alert?.seriesId ?? null;
  return useQuery({
    queryKey: ['alerts', 'readings', alert?.id ?? '', seriesId],
    enabled: alert !== undefined && seriesId !== null,
    staleTime: 30_000,
    queryFn: async ({ signal }) => {
      if (!alert || seriesId === null) return null;
      const window = readingWindow(alert, Date.now());
      const response = await apiRequest<TelemetryResponse>('/telemetry', {
        query: { series: seriesId, from: window.from, to: window.to, maxPoints: MAX_POINTS },
        signal,
      });
      return response.series[0] ?? null;
    },
  });
}
