import { useQuery } from '@tanstack/react-query';
import type {
  Alert,
  AssetCollection,
  AssetFeature,
  AssetUpdate,
  DeviceCommand,
  Device,
  Page,
  TelemetryResponse,
} from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

const LIVE_REFRESH_MS = 10_000;
const SPARKLINE_HOURS = 24;
const SPARKLINE_POINTS = 96;

export function useAsset(assetId: string) {
  return useQuery({
    queryKey: ['asset', assetId],
    queryFn: ({ signal }) => apiRequest<AssetFeature>(`/assets/${encodeURIComponent(assetId)}`, { signal }),
  });
}

/** Assets whose code or name holds the text, the first few of them, for finding one by what is painted on it. */
export function useAssetSearch(text: string, limit = 12) {
  const q = text.trim();
  return useQuery({
    queryKey: ['assets', 'search', q, limit],
    enabled: q.length >= 2,
    staleTime: 60_000,
    queryFn: async ({ signal }) =>
      (await apiRequest<AssetCollection>('/assets', { query: { q, limit }, signal })).features,
  });
}

export function useAssetDevices(assetId: string) {
  return useQuery({
    queryKey: ['asset', assetId, 'devices'],
    refetchInterval: LIVE_REFRESH_MS,
    queryFn: async ({ signal }) =>
      (await apiRequest<Page<Device>>('/devices', { query: { assetId, limit: 100 }, signal })).items,
  });
}

export function useAssetAlerts(assetId: string, open: boolean) {
  return useQuery({
    queryKey: ['asset', assetId, 'alerts', open],
    refetchInterval: LIVE_REFRESH_MS,
    queryFn: async ({ signal }) =>
      (
        await apiRequest<Page<Alert>>('/alerts', {
          query: { assetId, open: String(open), limit: open ? 100 : 10 },
          signal,
        })
      ).items,
  });
}

/** The last day of each series, coarse: the latest bucket is the live value, the rest draws the sparkline. */
export function useSparklines(seriesIds: readonly number[]) {
  return useQuery({
    queryKey: ['sparklines', seriesIds],
    enabled: seriesIds.length > 0,
    refetchInterval: LIVE_REFRESH_MS,
    queryFn: ({ signal }) => {
      const to = new Date();
      const from = new Date(to.getTime() - SPARKLINE_HOURS * 3_600_000);
      return apiRequest<TelemetryResponse>('/telemetry', {
        query: {
          series: seriesIds.join(','),
          from: from.toISOString(),
          to: to.toISOString(),
          maxPoints: SPARKLINE_POINTS,
        },
        signal,
      });
    },
  });
}

const finalStates = new Set<DeviceCommand['state']>(['acknowledged', 'failed', 'expired']);

/** A sent command, polled until the device acknowledges it or it fails or expires. */
export function useCommandState(commandId: string | null) {
  return useQuery<DeviceCommand>({
    queryKey: ['command', commandId],
    enabled: commandId !== null,
    refetchInterval: (query) => (query.state.data && finalStates.has(query.state.data.state) ? false : 1000),
    queryFn: ({ signal }) =>
      apiRequest<DeviceCommand>(`/commands/${encodeURIComponent(commandId ?? '')}`, { signal }),
  });
}

export function sendCommand(
  deviceId: string,
  command: string,
  params: Record<string, string | number | boolean>,
): Promise<DeviceCommand> {
  return apiRequest<DeviceCommand>(`/devices/${encodeURIComponent(deviceId)}/commands`, {
    method: 'POST',
    body: { command, params },
  });
}

export function setMaintenance(
  assetId: string,
  inMaintenance: boolean,
  reason?: string,
): Promise<AssetFeature> {
  return apiRequest<AssetFeature>(`/assets/${encodeURIComponent(assetId)}/maintenance`, {
    method: 'PUT',
    body: reason ? { inMaintenance, reason } : { inMaintenance },
  });
}

/**
 * Takes an asset off the network: deleted when nothing names it, else archived (off the map and the lists,
 * its devices unbound, its alerts, incidents and maintenance logs kept).
 */
export function archiveAsset(assetId: string): Promise<null> {
  return apiRequest<null>(`/assets/${encodeURIComponent(assetId)}`, { method: 'DELETE' });
}

export function updateAsset(assetId: string, change: AssetUpdate): Promise<AssetFeature> {
  return apiRequest<AssetFeature>(`/assets/${encodeURIComponent(assetId)}`, {
    method: 'PATCH',
    body: change,
  });
}

/** The assets carrying a tag (`key` matches every value of it), the first page of them. */
export function useAssetsByTag(tag: string, limit = 200) {
  return useQuery({
    queryKey: ['assets', 'tag', tag, limit],
    enabled: tag !== '',
    queryFn: async ({ signal }) =>
      (await apiRequest<AssetCollection>('/assets', { query: { tag, limit }, signal })).features,
  });
}
