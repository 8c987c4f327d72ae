import { useQuery } from '@tanstack/react-query';
import type { Alert, alertDetailSchema, Page } from '@tidewatch/shared';
import type { z } from 'zod';
import { apiRequest } from '../api/api-client.ts';

export type AlertDetail = z.infer<typeof alertDetailSchema>;

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

/**
 * The console's list of open alerts. The shared socket connection fills this cache: over REST at sign-in and
 * when the server says to reload, then change by change from the socket; nothing polls it.
 */
export function useAlertFeed(tenantId: string | null) {
  return useQuery({
    queryKey: alertFeedKey(tenantId),
    queryFn: ({ signal }) => fetchOpenAlerts(signal),
    enabled: false,
    staleTime: Infinity,
    // Changes arrive as replaced alert objects; deep-comparing ten thousand alerts on each batch would cost more
    // than it saves.
    structuralSharing: false,
  });
}

/** One alert with its history; refetched by the socket when the alert changes. */
export function useAlertDetail(id: string | null) {
  return useQuery({
    queryKey: alertDetailKey(id ?? ''),
    queryFn: ({ signal }) => apiRequest<AlertDetail>(`/alerts/${encodeURIComponent(id ?? '')}`, { signal }),
    enabled: id !== null,
  });
}
