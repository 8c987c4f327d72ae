import { useQuery } from '@tanstack/react-query';
import type {
  AccountSecurity,
  EndedSessions,
  Me,
  RecoveryCodes,
  SecondFactorRequest,
  SessionInfo,
  TotpEnrolment,
} from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

export const accountSecurityKey = ['account', 'security'] as const;
export const ownSessionsKey = ['account', 'sessions'] as const;

export function useAccountSecurity(enabled = true) {
  return useQuery({
    queryKey: accountSecurityKey,
    enabled,
    queryFn: ({ signal }) => apiRequest<AccountSecurity>('/me/security', { signal }),
  });
}

export function useOwnSessions() {
  return useQuery({
    queryKey: ownSessionsKey,
    queryFn: ({ signal }) => apiRequest<SessionInfo[]>('/me/sessions', { signal }),
  });
}

export function giveSecondFactor(answer: SecondFactorRequest): Promise<Me> {
  return apiRequest<Me>('/auth/second-factor', { method: 'POST', body: answer, userActivity: true });
}

export function changePassword(currentPassword: string, newPassword: string): Promise<Me> {
  return apiRequest<Me>('/me/password', {
    method: 'POST',
    body: { currentPassword, newPassword },
    userActivity: true,
  });
}

export function startTotpEnrolment(): Promise<TotpEnrolment> {
  return apiRequest<TotpEnrolment>('/me/totp', { method: 'POST', userActivity: true });
}

export function confirmTotpEnrolment(code: string): Promise<RecoveryCodes> {
  return apiRequest<RecoveryCodes>('/me/totp/confirm', {
    method: 'POST',
    body: { code },
    userActivity: true,
  });
}

export function disableTotp(password: string, code: string): Promise<void> {
  return apiRequest<undefined>('/me/totp/disable', {
    method: 'POST',
    body: { password, code },
    userActivity: true,
  });
}

export function replaceRecoveryCodes(password: string): Promise<RecoveryCodes> {
  return apiRequest<RecoveryCodes>('/me/totp/recovery-codes', {
    method: 'POST',
    body: { password },
    userActivity: true,
  });
}

export function endSession(id: string): Promise<void> {
  return apiRequest<undefined>(`/me/sessions/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    userActivity: true,
  });
}

export function endSessions(includeCurrent: boolean): Promise<EndedSessions> {
  return apiRequest<EndedSessions>('/me/sessions/end', {
    method: 'POST',
    body: { includeCurrent },
    userActivity: true,
  });
}

/** Tells the server the operator is at the console (see `useActivityHeartbeat`). */
export function reportActivity(): Promise<void> {
  return apiRequest<undefined>('/me/activity', { method: 'POST', userActivity: true });
}
