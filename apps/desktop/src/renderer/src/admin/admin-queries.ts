import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type {
  assetImportResultSchema,
  assetImportSchema,
  AuditEntry,
  auditQuerySchema,
  createUserSchema,
  Device,
  deviceCredentialsSchema,
  EndedSessions,
  Page,
  SecuritySettings,
  UpdateSecuritySettings,
  updateUserSchema,
  User,
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

export function setDeviceTags(deviceId: string, tags: string[]): Promise<Device> {
  return apiRequest<Device>(`/devices/${encodeURIComponent(deviceId)}`, { method: 'PATCH', body: { tags } });
}

export function importAssets(collection: AssetImport): Promise<AssetImportResult> {
  return apiRequest<AssetImportResult>('/assets/import', { method: 'POST', body: collection });
}

export type NewUser = z.input<typeof createUserSchema>;
export type UserChange = z.input<typeof updateUserSchema>;
/** The audit log's filters: everything `/audit-log` accepts but the paging. */
export type AuditFilters = Omit<z.input<typeof auditQuerySchema>, 'limit' | 'cursor'>;

/** More pages than a tenant has users: a guard against a cursor that never ends, not a product limit. */
const MAX_USER_PAGES = 20;
const AUDIT_PAGE_SIZE = 50;

export const usersKey = (tenantId: string) => ['admin', 'users', tenantId] as const;
export const auditLogKey = (tenantId: string, filters: AuditFilters) =>
  ['admin', 'audit-log', tenantId, filters] as const;

/** All of the tenant's users (the server audits each listing, so this is not polled). */
export function useUsers(tenantId: string, enabled = true) {
  return useQuery({
    queryKey: usersKey(tenantId),
    enabled,
    refetchOnWindowFocus: false,
    queryFn: async ({ signal }) => {
      const users: User[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_USER_PAGES; page += 1) {
        const result = await apiRequest<Page<User>>('/users', { query: { limit: 500, cursor }, signal });
        users.push(...result.items);
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      return users;
    },
  });
}

export function createUser(user: NewUser): Promise<User> {
  return apiRequest<User>('/users', { method: 'POST', body: user });
}

export function updateUser(userId: string, change: UserChange): Promise<User> {
  return apiRequest<User>(`/users/${encodeURIComponent(userId)}`, { method: 'PATCH', body: change });
}

/** Signs a user out everywhere; their open consoles return to the sign-in at once. */
export function endUserSessions(userId: string): Promise<EndedSessions> {
  return apiRequest<EndedSessions>(`/users/${encodeURIComponent(userId)}/sessions/end`, { method: 'POST' });
}

/** Removes a user's authenticator (a lost phone); their sessions end. */
export function resetUserTotp(userId: string): Promise<void> {
  return apiRequest<undefined>(`/users/${encodeURIComponent(userId)}/totp/reset`, { method: 'POST' });
}

export const securitySettingsKey = (tenantId: string) => ['admin', 'security-settings', tenantId] as const;

export function useSecuritySettings(tenantId: string) {
  return useQuery({
    queryKey: securitySettingsKey(tenantId),
    queryFn: ({ signal }) => apiRequest<SecuritySettings>('/security-settings', { signal }),
  });
}

export function updateSecuritySettings(change: UpdateSecuritySettings): Promise<SecuritySettings> {
  return apiRequest<SecuritySettings>('/security-settings', { method: 'PATCH', body: change });
}

/**
 * The audit log, newest first, a page at a time ("load more" follows the server's cursor). Every read is
 * itself audited, so it is fetched when asked for, not on window focus.
 */
export function useAuditLog(tenantId: string, filters: AuditFilters) {
  return useInfiniteQuery({
    queryKey: auditLogKey(tenantId, filters),
    refetchOnWindowFocus: false,
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: Page<AuditEntry>) => last.nextCursor ?? undefined,
    queryFn: ({ pageParam, signal }) =>
      apiRequest<Page<AuditEntry>>('/audit-log', {
        query: { ...filters, limit: AUDIT_PAGE_SIZE, cursor: pageParam },
        signal,
      }),
  });
}
