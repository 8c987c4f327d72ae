import { useQuery } from '@tanstack/react-query';
import type {
  assetImportResultSchema,
  assetImportSchema,
  Device,
  deviceCredentialsSchema,
  Page,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { apiRequest } from '../api/api-client.ts';

export type DeviceCredentials = z.infer<typeof deviceCredentialsSchema>;
export type AssetImport = z.infer<typeof assetImportSchema>;
export type AssetImportResult = z.infer<typeof assetImportResultSchema>;

export const devicesKey = (tenantId: string) => ['admin', 'devices', tenantId] as const;

/** The tenant's devices, up to 500 (one page): enough for an admin screen of one utility. */
export function useDevices(tenantId: string) {
  return useQuery({
    queryKey: devicesKey(tenantId),
    queryFn: async ({ signal }) =>
      (await apiRequest<Page<Device>>('/devices', { query: { limit: 500 }, signal })).items,
  });
}

export function provisionDevice(input: { name: string; metricKeys: string[] }): Promise<DeviceCredentials> {
  return apiRequest<DeviceCredentials>('/devices', {
    method: 'POST',
    body: { name: input.name, transport: 'mqtt', metricKeys: input.metricKeys },
  });
}

export function rotateDeviceSecret(deviceId: string): Promise<DeviceCredentials> {
  return apiRequest<DeviceCredentials>(`/devices/${encodeURIComponent(deviceId)}/rotate-secret`, {
    method: 'POST',
  });
}

export function setDeviceDisabled(deviceId: string, disabled: boolean): Promise<Device> {
  return apiRequest<Device>(`/devices/${encodeURIComponent(deviceId)}`, {
    method: 'PATCH',
    body: { disabled },
  });
}

export function importAssets(collection: AssetImport): Promise<AssetImportResult> {
  return apiRequest<AssetImportResult>('/assets/import', { method: 'POST', body: collection });
}
