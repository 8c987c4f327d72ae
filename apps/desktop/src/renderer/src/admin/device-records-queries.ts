import { useQuery } from '@tanstack/react-query';
import type {
  Calibration,
  CreateCalibration,
  DeviceAvailability,
  FirmwareRecord,
  ZoneAvailability,
} from '@tidewatch/shared';
import { apiFile, apiRequest } from '../api/api-client.ts';
import { saveFile } from '../trends/trend-queries.ts';

const devicePath = (deviceId: string) => `/devices/${encodeURIComponent(deviceId)}`;
export const deviceRecordsKey = (deviceId: string) => ['device-records', deviceId] as const;

export function useCalibrations(deviceId: string) {
  return useQuery({
    queryKey: [...deviceRecordsKey(deviceId), 'calibrations'],
    queryFn: async ({ signal }) =>
      (await apiRequest<{ items: Calibration[] }>(`${devicePath(deviceId)}/calibrations`, { signal })).items,
  });
}

export function addCalibration(deviceId: string, body: CreateCalibration): Promise<Calibration> {
  return apiRequest<Calibration>(`${devicePath(deviceId)}/calibrations`, { method: 'POST', body });
}

export function useFirmware(deviceId: string) {
  return useQuery({
    queryKey: [...deviceRecordsKey(deviceId), 'firmware'],
    queryFn: async ({ signal }) =>
      (await apiRequest<{ items: FirmwareRecord[] }>(`${devicePath(deviceId)}/firmware`, { signal })).items,
  });
}

export function addFirmware(
  deviceId: string,
  body: { version: string; note: string | null },
): Promise<FirmwareRecord> {
  return apiRequest<FirmwareRecord>(`${devicePath(deviceId)}/firmware`, { method: 'POST', body });
}

/** A period as the availability routes take it: whole days, `from` inclusive and `to` exclusive. */
export interface Period {
  readonly from: string;
  readonly to: string;
}

const periodQuery = (period: Period) => ({
  from: new Date(`${period.from}T00:00:00`).toISOString(),
  to: new Date(`${period.to}T00:00:00`).toISOString(),
});

export function useDeviceAvailability(deviceId: string, period: Period) {
  return useQuery({
    queryKey: [...deviceRecordsKey(deviceId), 'availability', period],
    queryFn: ({ signal }) =>
      apiRequest<DeviceAvailability>(`${devicePath(deviceId)}/availability`, {
        query: periodQuery(period),
        signal,
      }),
  });
}

export function useZoneAvailability(zoneId: string, period: Period) {
  return useQuery({
    queryKey: ['zone-availability', zoneId, period],
    enabled: zoneId !== '',
    queryFn: ({ signal }) =>
      apiRequest<ZoneAvailability>(`/zones/${encodeURIComponent(zoneId)}/availability`, {
        query: periodQuery(period),
        signal,
      }),
  });
}

/** The server's CSV (audited there) of a device's downtimes or a zone's availability over the period. */
export async function downloadAvailabilityCsv(
  target: { kind: 'devices' | 'zones'; id: string },
  period: Period,
): Promise<void> {
  const csv = await apiFile(`/${target.kind}/${encodeURIComponent(target.id)}/availability`, {
    query: { ...periodQuery(period), format: 'csv' },
  });
  saveFile(
    csv,
    `${target.kind === 'devices' ? 'device' : 'zone'}-availability-${period.from}-${period.to}.csv`,
  );
}
