import { useQuery } from '@tanstack/react-query';
import type {
  AreaSearch,
  AreaSearchResult,
  DownstreamTrace,
  MapLayers,
  MapStyle,
  Page,
  Zone,
} from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';
import { toMapData } from './map-data.ts';

/** Alert colours change with the alert feed; the layers are re-read this often (the feed itself is live). */
const LAYERS_REFRESH_MS = 30_000;

export const mapLayersKey = (tenantId: string) => ['map', 'layers', tenantId] as const;

export function useMapData(tenantId: string) {
  return useQuery({
    queryKey: mapLayersKey(tenantId),
    refetchInterval: LAYERS_REFRESH_MS,
    queryFn: async ({ signal }) => toMapData(await apiRequest<MapLayers>('/map/layers', { signal })),
  });
}

export function searchArea(area: AreaSearch): Promise<AreaSearchResult> {
  return apiRequest<AreaSearchResult>('/spatial/area-search', { method: 'POST', body: area });
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

/** Zone outlines for the map; a tenant has tens of zones, one page holds them. */
export function useZoneOutlines(tenantId: string) {
  return useQuery({
    queryKey: ['map', 'zones', tenantId],
    staleTime: 5 * 60_000,
    queryFn: async ({ signal }) =>
      (await apiRequest<Page<Zone>>('/zones', { query: { limit: 500 }, signal })).items,
  });
}
