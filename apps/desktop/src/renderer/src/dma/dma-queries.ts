import { useQuery } from '@tanstack/react-query';
import type { AssetForecast, DmaLeague, DmaNights } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

/** Night figures change once a night; a minute is fresh enough. */
const NIGHTLY_MS = 60_000;

export function useDmaLeague(tenantId: string) {
  return useQuery({
    queryKey: ['dmas', 'league', tenantId],
    queryFn: ({ signal }) => apiRequest<DmaLeague>('/dmas/league', { signal }),
    refetchInterval: NIGHTLY_MS,
  });
}

export function useDmaNights(tenantId: string, zoneId: string | null) {
  return useQuery({
    queryKey: ['dmas', 'nights', tenantId, zoneId],
    queryFn: ({ signal }) =>
      apiRequest<DmaNights>(`/dmas/${zoneId ?? ''}/nights`, { query: { nights: 14 }, signal }),
    enabled: zoneId !== null,
    refetchInterval: NIGHTLY_MS,
  });
}

/** Time to full and to empty of a tank, refreshed as its level readings arrive (every 15 s). */
export function useAssetForecast(assetId: string, enabled: boolean) {
  return useQuery({
    queryKey: ['assets', 'forecast', assetId],
    queryFn: ({ signal }) => apiRequest<AssetForecast>(`/assets/${assetId}/forecast`, { signal }),
    enabled,
    refetchInterval: 15_000,
  });
}
