import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { Alert, alertDetailSchema, Page } from '@tidewatch/shared';
import type { z } from 'zod';
import { apiRequest } from '../api/api-client.ts';

export type AlertDetail = z.infer<typeof alertDetailSchema>;

/**
 * The console's live list of open alerts. For now it polls the REST list at a short interval; the shared
 * Socket.IO connection will replace the polling here and feed the same cache, so nothing else changes.
 */
export const FEED_POLL_MS = 5000;
const PAGE_SIZE = 500;
/** A guard against a server that never ends its pages: 100 pages of 500 is far beyond any real console. */
const MAX_PAGES = 100;

export const alertFeedKey = (tenantId: string | null) => ['alerts', 'open', tenantId] as const;
export const alertDetailKey = (id: string) => ['alerts', 'detail', id] as const;

export async function fetchOpenAlerts(signal?: AbortSignal): Promise<Alert[]> {
  const alerts: Alert[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const result = await apiRequest<Page<Alert>>('/alerts', {
      query: { open: 'true', limit: PAGE_SIZE, cursor },
      ...(signal ? { signal } : {}),
    });
    alerts.push(...result.items);
    if (result.nextCursor === null) break;
    cursor = result.nextCursor;
  }
  return alerts;
}

export function useAlertFeed(tenantId: string | null) {
  return useQuery({
    queryKey: alertFeedKey(tenantId),
    queryFn: ({ signal }) => fetchOpenAlerts(signal),
    refetchInterval: FEED_POLL_MS,
    // A control room watches alarms from a window in the background too.
    refetchIntervalInBackground: true,
    placeholderData: keepPreviousData,
    enabled: tenantId !== null,
  });
}

export function useAlertDetail(id: string | null) {
  return useQuery({
    queryKey: alertDetailKey(id ?? ''),
    queryFn: ({ signal }) => apiRequest<AlertDetail>(`/alerts/${encodeURIComponent(id ?? '')}`, { signal }),
    enabled: id !== null,
    refetchInterval: FEED_POLL_MS,
  });
}
