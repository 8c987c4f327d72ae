import type { Role, SignInStep } from '@tidewatch/shared';
import { retryTransientOnce } from '@tidewatch/db';
import type pg from 'pg';
import type { Principal } from '../../http/request-context.ts';

interface PrincipalRow {
  user_id: string;
  tenant_id: string | null;
  role: Role;
  email: string;
  display_name: string;
  zone_ids: string[];
  active: boolean;
  pending_step: SignInStep | null;
}

/**
 * The user behind a session as the database has it now, or null if the user or session may no longer act
 * (revoked, expired, idle past its role's limit, user or tenant disabled). `activity`: the request is the user's
 * own doing and keeps the session from going idle; background polls and socket checks are not.
 */
export async function loadPrincipal(
  pool: pg.Pool,
  userId: string,
  sessionId: string,
  activity = false,
): Promise<Principal | null> {
  const { rows } = await retryTransientOnce(() =>
    pool.query<PrincipalRow>('SELECT * FROM auth_principal($1::uuid, $2::uuid, $3)', [
      userId,
      sessionId,
      activity,
    ]),
  );
  const row = rows[0];
  if (!row?.active) return null;
  return {
    userId: row.user_id,
    sessionId,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    homeTenantId: row.tenant_id,
    zoneIds: row.zone_ids,
    pendingStep: row.pending_step,
  };
}
