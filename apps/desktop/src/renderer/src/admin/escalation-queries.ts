import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  AlarmSettings,
  CreateEscalationPolicy,
  CreateOnCallSchedule,
  EscalationPolicy,
  OnCallScheduleView,
} from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

const key = (tenantId: string, what: string) => ['escalation', tenantId, what] as const;

export const useSchedules = (tenantId: string) =>
  useQuery({
    queryKey: key(tenantId, 'schedules'),
    queryFn: ({ signal }) => apiRequest<OnCallScheduleView[]>('/on-call-schedules', { signal }),
  });

export const usePolicies = (tenantId: string) =>
  useQuery({
    queryKey: key(tenantId, 'policies'),
    queryFn: ({ signal }) => apiRequest<EscalationPolicy[]>('/escalation-policies', { signal }),
  });

export const useOnDuty = (tenantId: string, scheduleId: string) =>
  useQuery({
    queryKey: key(tenantId, `on-duty ${scheduleId}`),
    queryFn: ({ signal }) =>
      apiRequest<{ at: string; userIds: string[] }>(`/on-call-schedules/${scheduleId}/on-duty`, { signal }),
    refetchInterval: 60_000,
  });

export const useAlarmSettings = (tenantId: string) =>
  useQuery({
    queryKey: key(tenantId, 'alarm-settings'),
    queryFn: ({ signal }) => apiRequest<AlarmSettings>('/alarm-settings', { signal }),
  });

/** A change that, once saved, reloads everything on this screen. */
function useEscalationChange<T>(tenantId: string, send: (input: T) => Promise<unknown>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: send,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['escalation', tenantId] }),
  });
}

export const useCreateSchedule = (tenantId: string) =>
  useEscalationChange(tenantId, (body: CreateOnCallSchedule) =>
    apiRequest('/on-call-schedules', { method: 'POST', body, userActivity: true }),
  );

export const useAddOverride = (tenantId: string) =>
  useEscalationChange(
    tenantId,
    ({
      scheduleId,
      ...body
    }: {
      scheduleId: string;
      userId: string;
      startsAt: string;
      endsAt: string;
      reason: string;
    }) =>
      apiRequest(`/on-call-schedules/${scheduleId}/overrides`, { method: 'POST', body, userActivity: true }),
  );

export const useCreatePolicy = (tenantId: string) =>
  useEscalationChange(tenantId, (body: CreateEscalationPolicy) =>
    apiRequest('/escalation-policies', { method: 'POST', body, userActivity: true }),
  );

export const useSetPhone = (tenantId: string) =>
  useEscalationChange(tenantId, ({ userId, phone }: { userId: string; phone: string | null }) =>
    apiRequest(`/users/${userId}/phone`, { method: 'PUT', body: { phone }, userActivity: true }),
  );

export const useSaveAlarmSettings = (tenantId: string) =>
  useEscalationChange(tenantId, (body: Partial<AlarmSettings>) =>
    apiRequest<AlarmSettings>('/alarm-settings', { method: 'PATCH', body, userActivity: true }),
  );
