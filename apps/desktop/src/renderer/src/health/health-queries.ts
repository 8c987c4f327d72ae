import { useQuery } from '@tanstack/react-query';
import type { AssetHealth, AssetHealthList } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

/** Health moves with data completeness over hours and with alarms; a minute is fresh enough. */
const HEALTH_MS = 60_000;

export function useAssetHealth(assetId: string) {
  return useQuery({
    queryKey: ['assets', 'health', assetId],
    queryFn: ({ signal }) => apiRequest<AssetHealth>(`/assets/${assetId}/health`, { signal }),
    refetchInterval: HEALTH_MS,
  });
}

/** Every asset's score, fetched only while the map colours by health. */
export function useAssetHealthList(enabled: boolean) {
  return useQuery({
    queryKey: ['assets', 'health-list'],
    queryFn: ({ signal }) => apiRequest<AssetHealthList>('/asset-health', { signal }),
    enabled,
    refetchInterval: HEALTH_MS,
  });
}

/** The band a score falls in, for colours: good 80+, fair 50+, poor below. */
export const healthBand = (score: number): 'good' | 'fair' | 'poor' =>
  score >= 80 ? 'good' : score >= 50 ? 'fair' : 'poor';
