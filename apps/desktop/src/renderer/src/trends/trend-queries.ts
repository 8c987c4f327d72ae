import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { Alert, AlertRule, Page, TelemetryResponse } from '@tidewatch/shared';
import { apiFile, apiRequest } from '../api/api-client.ts';
import type { AlertMarker, Threshold } from './trend-option.ts';
import type { TimeRange } from './trend-range.ts';

const thresholdConditions = new Set(['high', 'high_high', 'low', 'low_low']);

/** The `/telemetry` query of a chart; its CSV export asks the very same. */
export function trendQuery(seriesIds: readonly number[], range: TimeRange, maxPoints: number) {
  return {
    series: seriesIds.join(','),
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    maxPoints,
  };
}

export function useTrend(seriesIds: readonly number[], range: TimeRange, maxPoints: number) {
  return useQuery<TelemetryResponse>({
    queryKey: ['trend', seriesIds, range.from, range.to, maxPoints],
    enabled: seriesIds.length > 0,
    placeholderData: keepPreviousData,
    queryFn: ({ signal }) =>
      apiRequest<TelemetryResponse>('/telemetry', { query: trendQuery(seriesIds, range, maxPoints), signal }),
  });
}

/** Threshold rules on these series (a role without rule access sees none). */
export function useThresholds(seriesIds: readonly number[]) {
  return useQuery({
    queryKey: ['trend', 'thresholds', seriesIds],
    enabled: seriesIds.length > 0,
    queryFn: async ({ signal }): Promise<Threshold[]> => {
      const page = await apiRequest<Page<AlertRule>>('/alert-rules', { query: { limit: 500 }, signal }).catch(
        () => ({ items: [] as AlertRule[] }),
      );
      return page.items.flatMap((rule) =>
        rule.seriesId !== null &&
        seriesIds.includes(rule.seriesId) &&
        rule.setpoint !== null &&
        rule.enabled &&
        thresholdConditions.has(rule.condition)
          ? [
              {
                seriesId: rule.seriesId,
                label: `${rule.condition} ${String(rule.setpoint)}`,
                value: rule.setpoint,
              },
            ]
          : [],
      );
    },
  });
}

export function useAlertMarkers(seriesIds: readonly number[], range: TimeRange) {
  return useQuery({
    queryKey: ['trend', 'markers', seriesIds, range.from, range.to],
    enabled: seriesIds.length > 0,
    queryFn: async ({ signal }): Promise<AlertMarker[]> => {
      const page = await apiRequest<Page<Alert>>('/alerts', { query: { limit: 500 }, signal });
      return page.items.flatMap((alert) => {
        const at = Date.parse(alert.raisedAt);
        return alert.seriesId !== null &&
          seriesIds.includes(alert.seriesId) &&
          at >= range.from &&
          at <= range.to
          ? [{ seriesId: alert.seriesId, at, label: alert.message }]
          : [];
      });
    },
  });
}

/** The server's CSV of exactly what the chart asked for (the same series, range and point limit), as a file. */
export async function downloadTrendCsv(
  seriesIds: readonly number[],
  range: TimeRange,
  maxPoints: number,
): Promise<void> {
  const csv = await apiFile('/telemetry', {
    query: { ...trendQuery(seriesIds, range, maxPoints), format: 'csv' },
  });
  saveFile(csv, 'trend.csv');
}

export function saveFile(blob: Blob | string, name: string): void {
  const link = document.createElement('a');
  link.href = typeof blob === 'string' ? blob : URL.createObjectURL(blob);
  link.download = name;
  link.click();
  if (typeof blob !== 'string')
    setTimeout(() => {
      URL.revokeObjectURL(link.href);
    }, 10_000);
}
