import { useQuery } from '@tanstack/react-query';
import type {
  OpcuaBinding,
  OpcuaClientCertificate,
  OpcuaPreview,
  opcuaPreviewRequestSchema,
  OpcuaServerCertificate,
  putOpcuaBindingSchema,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { apiRequest } from '../../api/api-client.ts';
import { ApiError } from '../../api/api-error.ts';

export type OpcuaBindingInput = z.input<typeof putOpcuaBindingSchema>;
export type OpcuaPreviewInput = z.input<typeof opcuaPreviewRequestSchema>;

export const opcuaBindingKey = (deviceId: string) => ['admin', 'opcua', 'binding', deviceId] as const;
export const opcuaCertificatesKey = (tenantId: string) =>
  ['admin', 'opcua', 'certificates', tenantId] as const;

const bindingPath = (deviceId: string) => `/devices/${encodeURIComponent(deviceId)}/opcua`;

/** The device's binding with its session state, or null when it has none yet; polled while the editor is open. */
export function useOpcuaBinding(deviceId: string) {
  return useQuery({
    queryKey: opcuaBindingKey(deviceId),
    refetchOnWindowFocus: false,
    refetchInterval: 3000,
    queryFn: async ({ signal }) => {
      try {
        return await apiRequest<OpcuaBinding>(bindingPath(deviceId), { signal });
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && error.code === 'not_found') return null;
        throw error;
      }
    },
  });
}

export function saveOpcuaBinding(deviceId: string, binding: OpcuaBindingInput): Promise<OpcuaBinding> {
  return apiRequest<OpcuaBinding>(bindingPath(deviceId), { method: 'PUT', body: binding });
}

/** One read of the mapped nodes (and a browse), as the binding would map them; nothing is saved. */
export function previewOpcuaEndpoint(deviceId: string, request: OpcuaPreviewInput): Promise<OpcuaPreview> {
  return apiRequest<OpcuaPreview>(`${bindingPath(deviceId)}/preview`, { method: 'POST', body: request });
}

export function useOpcuaCertificates(tenantId: string) {
  return useQuery({
    queryKey: opcuaCertificatesKey(tenantId),
    refetchInterval: 5000,
    queryFn: ({ signal }) => apiRequest<OpcuaServerCertificate[]>('/opcua/server-certificates', { signal }),
  });
}

export function decideOpcuaCertificate(
  id: string,
  status: 'trusted' | 'rejected',
): Promise<OpcuaServerCertificate> {
  return apiRequest<OpcuaServerCertificate>(`/opcua/server-certificates/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: { status },
  });
}

export function fetchClientCertificate(): Promise<OpcuaClientCertificate> {
  return apiRequest<OpcuaClientCertificate>('/opcua/client-certificate');
}
