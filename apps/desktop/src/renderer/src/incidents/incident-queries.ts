import { useQuery, type QueryClient } from '@tanstack/react-query';
import type { Incident, IncidentDetail, Page } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

export const incidentListKey = (tenantId: string | null) => ['incidents', 'list', tenantId] as const;
export const incidentDetailKey = (id: string) => ['incidents', 'detail', id] as const;

const PAGE_SIZE = 200;

/** The newest incidents (open ones and the recently closed): read over REST, kept current by the socket. */
export function useIncidents(tenantId: string | null) {
  return useQuery({
    queryKey: incidentListKey(tenantId),
    queryFn: async ({ signal }) =>
      (await apiRequest<Page<Incident>>('/incidents', { query: { limit: PAGE_SIZE }, signal })).items,
    enabled: tenantId !== null,
    staleTime: Infinity,
  });
}

export function useIncidentDetail(id: string | null) {
  return useQuery({
    queryKey: incidentDetailKey(id ?? ''),
    queryFn: ({ signal }) =>
      apiRequest<IncidentDetail>(`/incidents/${encodeURIComponent(id ?? '')}`, { signal }),
    enabled: id !== null,
  });
}

/** Newest first, as the server lists them. */
const byOpening = (a: Incident, b: Incident) =>
  a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : a.id < b.id ? 1 : -1;

/** An incident as it now is (socket `incident` event or an action's answer) into the list and its detail. */
export function applyIncident(queryClient: QueryClient, tenantId: string, incident: Incident): void {
  queryClient.setQueryData<Incident[]>(incidentListKey(tenantId), (list) =>
    list ? [incident, ...list.filter((entry) => entry.id !== incident.id)].sort(byOpening) : list,
  );
  void queryClient.invalidateQueries({ queryKey: incidentDetailKey(incident.id), exact: true });
}
