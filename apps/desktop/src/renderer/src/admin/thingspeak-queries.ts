import { useQuery } from '@tanstack/react-query';
import type {
  putThingSpeakBindingSchema,
  ThingSpeakBinding,
  ThingSpeakPreview,
  thingSpeakPreviewRequestSchema,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { apiRequest } from '../api/api-client.ts';
import { ApiError } from '../api/api-error.ts';

export type BindingInput = z.input<typeof putThingSpeakBindingSchema>;
export type ChannelPreviewInput = z.input<typeof thingSpeakPreviewRequestSchema>;

export const thingSpeakBindingKey = (deviceId: string) => ['admin', 'thingspeak', deviceId] as const;

const bindingPath = (deviceId: string) => `/devices/${encodeURIComponent(deviceId)}/thingspeak`;

/** The device's binding, or null when it has none yet. */
export function useThingSpeakBinding(deviceId: string) {
  return useQuery({
    queryKey: thingSpeakBindingKey(deviceId),
    refetchOnWindowFocus: false,
    queryFn: async ({ signal }) => {
      try {
        return await apiRequest<ThingSpeakBinding>(bindingPath(deviceId), { signal });
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && error.code === 'not_found') return null;
        throw error;
      }
    },
  });
}

export function saveThingSpeakBinding(deviceId: string, binding: BindingInput): Promise<ThingSpeakBinding> {
  return apiRequest<ThingSpeakBinding>(bindingPath(deviceId), { method: 'PUT', body: binding });
}

/** One read of the channel, mapped as the binding would map it; nothing is saved. */
export function previewThingSpeakChannel(
  deviceId: string,
  request: ChannelPreviewInput,
): Promise<ThingSpeakPreview> {
  return apiRequest<ThingSpeakPreview>(`${bindingPath(deviceId)}/preview`, { method: 'POST', body: request });
}
