import { useQuery } from '@tanstack/react-query';
import type { Page, Tenant, UserName, Zone } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

/** Names change rarely: zones and tenants are fetched once and refreshed every few minutes. */
const REFERENCE_STALE_MS = 5 * 60_000;
const MAX_PAGES = 100;

async function allPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
) {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const result = await fetchPage(cursor);
    items.push(...result.items);
    if (result.nextCursor === null) break;
    cursor = result.nextCursor;
  }
  return items;
}

export function useZoneNames(tenantId: string | null) {
  return useQuery({
    queryKey: ['zones', tenantId],
    enabled: tenantId !== null,
    staleTime: REFERENCE_STALE_MS,
    refetchInterval: REFERENCE_STALE_MS,
    queryFn: async ({ signal }) => {
      const zones = await allPages((cursor) =>
        apiRequest<Page<Zone>>('/zones', { query: { limit: 500, cursor }, signal }),
      );
      return new Map(zones.map((zone) => [zone.id, zone.name]));
    },
  });
}

export function useTenants(enabled: boolean) {
  return useQuery({
    queryKey: ['tenants'],
    enabled,
    staleTime: REFERENCE_STALE_MS,
    queryFn: ({ signal }) =>
      allPages((cursor) => apiRequest<Page<Tenant>>('/tenants', { query: { limit: 500, cursor }, signal })),
  });
}

/** Display names of the tenant's users by id, for views that name people (incidents, notes). */
export function useUserNames(tenantId: string | null) {
  return useQuery({
    queryKey: ['user-names', tenantId],
    enabled: tenantId !== null,
    staleTime: REFERENCE_STALE_MS,
    refetchInterval: REFERENCE_STALE_MS,
    queryFn: async ({ signal }) => {
      const users = await apiRequest<UserName[]>('/user-names', { signal });
      return new Map(users.map((user) => [user.id, user.displayName]));
    },
  });
}
