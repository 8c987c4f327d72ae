import { useQuery, type QueryClient } from '@tanstack/react-query';
import type {
  AreaSearch,
  AreaSearchResult,
  DownstreamTrace,
  IsolationPlan,
  MapExtent,
  MapStyle,
  MapVersion,
} from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

/**
 * How often the map asks whether the network changed under it (someone else's edit or import). One indexed row;
 * the tiles are fetched again only when the answer moves. This console's own edits ask at once.
 */
const VERSION_CHECK_MS = 30_000;

export const mapVersionKey = (tenantId: string) => ['map', 'version', tenantId] as const;

/** The network and alarm versions the server cuts tiles at. */
export function useMapVersion(tenantId: string) {
  return useQuery({
    queryKey: mapVersionKey(tenantId),
    refetchInterval: VERSION_CHECK_MS,
    refetchOnWindowFocus: true,
    queryFn: ({ signal }) => apiRequest<MapVersion>('/map/version', { signal }),
  });
}

/** After an edit or an import: the map asks for the network version now, and reloads its tiles if it moved. */
export function networkChanged(queryClient: QueryClient): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: ['map', 'version'] });
}

/** Where the network lies, for the first camera; asked for while the map sets itself up. */
export function useMapExtent(tenantId: string) {
  return useQuery({
    queryKey: ['map', 'extent', tenantId],
    staleTime: Infinity,
    queryFn: ({ signal }) => apiRequest<MapExtent>('/map/extent', { signal }),
  });
}

export function searchArea(area: AreaSearch): Promise<AreaSearchResult> {
  return apiRequest<AreaSearchResult>('/spatial/area-search', { method: 'POST', body: area });
}

/** The valves to close to isolate a pipe and what loses supply then. */
export function planIsolation(pipeId: string): Promise<IsolationPlan> {
  return apiRequest<IsolationPlan>(`/spatial/pipes/${encodeURIComponent(pipeId)}/isolation`);
}

export function traceDownstream(pipeId: string): Promise<DownstreamTrace> {
  return apiRequest<DownstreamTrace>(`/spatial/pipes/${encodeURIComponent(pipeId)}/downstream`);
}

export function useMapStyle(tenantId: string) {
  return useQuery({
    queryKey: ['map', 'style', tenantId],
    staleTime: Infinity,
    queryFn: ({ signal }) => apiRequest<MapStyle>('/map/style', { signal }),
  });
}
