import { useQuery } from '@tanstack/react-query';
import type { ModbusBinding, ModbusPreview, putModbusBindingSchema } from '@tidewatch/shared';
import type { z } from 'zod';
import { apiRequest } from '../api/api-client.ts';
import { ApiError } from '../api/api-error.ts';

export type ModbusBindingInput = z.input<typeof putModbusBindingSchema>;

export const modbusBindingKey = (deviceId: string) => ['admin', 'modbus', deviceId] as const;

const bindingPath = (deviceId: string) => `/devices/${encodeURIComponent(deviceId)}/modbus`;

/** The device's binding and the connector's state, or null when it has none yet; refreshed while shown. */
export function useModbusBinding(deviceId: string) {
  return useQuery({
    queryKey: modbusBindingKey(deviceId),
    refetchOnWindowFocus: false,
    refetchInterval: 5000,
    queryFn: async ({ signal }) => {
      try {
        return await apiRequest<ModbusBinding>(bindingPath(deviceId), { signal });
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && error.code === 'not_found') return null;
        throw error;
      }
    },
  });
}

export function saveModbusBinding(deviceId: string, binding: ModbusBindingInput): Promise<ModbusBinding> {
  return apiRequest<ModbusBinding>(bindingPath(deviceId), { method: 'PUT', body: binding });
}

/** One read of the registers, mapped as the binding would map them; nothing is saved. */
export function previewModbusRegisters(
  deviceId: string,
  binding: ModbusBindingInput,
): Promise<ModbusPreview> {
  return apiRequest<ModbusPreview>(`${bindingPath(deviceId)}/preview`, { method: 'POST', body: binding });
}
