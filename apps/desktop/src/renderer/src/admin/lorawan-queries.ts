import { useQuery } from '@tanstack/react-query';
import type {
  createLorawanApplicationSchema,
  LorawanApplication,
  LorawanDevice,
  LorawanPreview,
  lorawanPreviewRequestSchema,
  lorawanUplinkListSchema,
  putLorawanDeviceSchema,
  updateLorawanApplicationSchema,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { apiRequest } from '../api/api-client.ts';
import { ApiError } from '../api/api-error.ts';

export type NewLorawanApplication = z.input<typeof createLorawanApplicationSchema>;
export type LorawanUplinks = z.infer<typeof lorawanUplinkListSchema>;

export const lorawanApplicationsKey = (tenantId: string) => ['admin', 'lorawan', tenantId] as const;

/** The tenant's LoRaWAN applications with their connection state, kept fresh while the screen is open. */
export function useLorawanApplications(tenantId: string) {
  return useQuery({
    queryKey: lorawanApplicationsKey(tenantId),
    refetchInterval: 5000,
    queryFn: async ({ signal }) =>
      (await apiRequest<{ items: LorawanApplication[] }>('/lorawan-applications', { signal })).items,
  });
}

/** The newest uplinks of an application and what they stored: the live view. */
export function useLorawanUplinks(applicationId: string) {
  return useQuery({
    queryKey: ['admin', 'lorawan-uplinks', applicationId] as const,
    refetchInterval: 3000,
    queryFn: ({ signal }) =>
      apiRequest<LorawanUplinks>(`/lorawan-applications/${encodeURIComponent(applicationId)}/uplinks`, {
        query: { limit: 20 },
        signal,
      }),
  });
}

export function createLorawanApplication(body: NewLorawanApplication): Promise<LorawanApplication> {
  return apiRequest<LorawanApplication>('/lorawan-applications', { method: 'POST', body });
}

export type LorawanDeviceInput = z.input<typeof putLorawanDeviceSchema>;
export type LorawanPreviewInput = z.input<typeof lorawanPreviewRequestSchema>;

export const lorawanDeviceKey = (deviceId: string) => ['admin', 'lorawan-device', deviceId] as const;

const devicePath = (deviceId: string) => `/devices/${encodeURIComponent(deviceId)}/lorawan`;

/** The device's LoRaWAN binding and state (join, battery, last uplink), or null when it has none yet. */
export function useLorawanDevice(deviceId: string) {
  return useQuery({
    queryKey: lorawanDeviceKey(deviceId),
    refetchOnWindowFocus: false,
    refetchInterval: 5000,
    queryFn: async ({ signal }) => {
      try {
        return await apiRequest<LorawanDevice>(devicePath(deviceId), { signal });
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && error.code === 'not_found') return null;
        throw error;
      }
    },
  });
}

export function saveLorawanDevice(deviceId: string, body: LorawanDeviceInput): Promise<LorawanDevice> {
  return apiRequest<LorawanDevice>(devicePath(deviceId), { method: 'PUT', body });
}

/** The uplinks already received from the DevEUI, mapped as the binding would map them; nothing is saved. */
export function previewLorawanDevice(deviceId: string, body: LorawanPreviewInput): Promise<LorawanPreview> {
  return apiRequest<LorawanPreview>(`${devicePath(deviceId)}/preview`, { method: 'POST', body });
}

export function updateLorawanApplication(
  applicationId: string,
  body: z.input<typeof updateLorawanApplicationSchema>,
): Promise<LorawanApplication> {
  return apiRequest<LorawanApplication>(`/lorawan-applications/${encodeURIComponent(applicationId)}`, {
    method: 'PATCH',
    body,
  });
}
