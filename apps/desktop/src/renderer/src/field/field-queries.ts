import { useQuery } from '@tanstack/react-query';
import type { Alert, AreaSearchResult, Incident, IncidentDetail, Page } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

const REFRESH_MS = 15_000;

/** The open alerts the engineer may see (the server limits them to the engineer's zones), most urgent first. */
export function useOpenAlerts() {
  return useQuery({
    queryKey: ['field', 'alerts'],
    refetchInterval: REFRESH_MS,
    queryFn: async ({ signal }) =>
      (await apiRequest<Page<Alert>>('/alerts', { query: { open: 'true', limit: 100 }, signal })).items,
  });
}

export function useAlert(id: string) {
  return useQuery({
    queryKey: ['field', 'alert', id],
    queryFn: ({ signal }) => apiRequest<Alert>(`/alerts/${encodeURIComponent(id)}`, { signal }),
  });
}

export function useOpenIncidents() {
  return useQuery({
    queryKey: ['field', 'incidents'],
    refetchInterval: REFRESH_MS,
    queryFn: async ({ signal }) =>
      (await apiRequest<Page<Incident>>('/incidents', { query: { limit: 50 }, signal })).items.filter(
        (incident) => incident.status !== 'closed',
      ),
  });
}

export function useIncident(id: string) {
  return useQuery({
    queryKey: ['field', 'incident', id],
    refetchInterval: REFRESH_MS,
    queryFn: ({ signal }) => apiRequest<IncidentDetail>(`/incidents/${encodeURIComponent(id)}`, { signal }),
  });
}

const NEARBY_RADIUS_M = 2_000;

/** Assets within a walk of the phone, by the server's spatial search. */
export function useNearbyAssets(position: readonly [number, number] | null) {
  return useQuery({
    queryKey: ['field', 'nearby', position],
    enabled: position !== null,
    queryFn: ({ signal }) =>
      apiRequest<AreaSearchResult>('/spatial/area-search', {
        method: 'POST',
        body: { center: position, radiusM: NEARBY_RADIUS_M },
        signal,
      }),
  });
}
