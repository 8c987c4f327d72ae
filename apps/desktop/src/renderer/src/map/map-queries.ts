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

/**
 * The network changes when assets are edited: this console's own edits refresh it at once, other people's within
 * this time. Alert colours do not wait for it: they come from the live alert feed.
 */
const LAYERS_REFRESH_MS = 5 * 60_000;

export const mapLayersKey = (tenantId: string) => ['map', 'layers', tenantId] as const;

export function useMapData(tenantId: string) {
  return useQuery({
    queryKey: mapLayersKey(tenantId),
    staleTime: LAYERS_REFRESH_MS,
    refetchInterval: LAYERS_REFRESH_MS,
    refetchOnWindowFocus: false,
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
