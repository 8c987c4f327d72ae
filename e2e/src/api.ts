import type { Alert, AlertRule, TokenResponse } from '@tidewatch/shared';
import { adminQuery } from '@tidewatch/server/testing/admin-query';
import type pg from 'pg';
import { inject } from 'vitest';
import { DEMO_PASSWORD } from './console.ts';

/** Rows read as the schema owner of the run's database, beside the application (to find what a test arranged). */
export const adminRows = <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> =>
  adminQuery<T>(inject('adminUrl'), sql, params);

export async function accessToken(
  serverUrl: string,
  email: string,
  password = DEMO_PASSWORD,
): Promise<string> {
  const response = await fetch(`${serverUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw new Error(`login of ${email}: ${String(response.status)}`);
  return ((await response.json()) as TokenResponse).accessToken;
}

/** Signs in with a temporary password and replaces it, as a user an admin created must first. */
export async function replaceTemporaryPassword(
  serverUrl: string,
  email: string,
  temporary: string,
  chosen: string,
): Promise<void> {
  const token = await accessToken(serverUrl, email, temporary);
  const response = await fetch(`${serverUrl}/api/v1/me/password`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ currentPassword: temporary, newPassword: chosen }),
  });
  if (!response.ok) throw new Error(`password of ${email}: ${String(response.status)}`);
}

/** A device created through the REST API as a tenant administrator would; its id. */
export async function createDevice(
  serverUrl: string,
  token: string,
  device: { name: string; transport: string; metricKeys: readonly string[] },
): Promise<string> {
  const response = await fetch(`${serverUrl}/api/v1/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(device),
  });
  if (response.status !== 201) throw new Error(`device: ${String(response.status)} ${await response.text()}`);
  return ((await response.json()) as { device: { id: string } }).device.id;
}

/** A `high` rule on one series, created through the REST API as a supervisor would. */
export async function createHighRule(
  serverUrl: string,
  token: string,
  rule: { name: string; seriesId: number; setpoint: number; priority: Alert['priority'] },
): Promise<AlertRule> {
  const response = await fetch(`${serverUrl}/api/v1/alert-rules`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ condition: 'high', scope: 'series', ...rule }),
  });
  if (response.status !== 201) throw new Error(`rule: ${String(response.status)} ${await response.text()}`);
  return (await response.json()) as AlertRule;
}

/** The open alert a rule raised, once there is one (as the schema owner sees it). */
export async function openAlertOf(adminUrl: string, ruleId: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await adminQuery<{ id: string }>(
      adminUrl,
      'SELECT id FROM alerts WHERE rule_id = $1 AND closed_at IS NULL',
      [ruleId],
    );
    if (row) return row.id;
    if (Date.now() > deadline) throw new Error(`rule ${ruleId} raised no alert`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
