import type { Role } from '@tidewatch/shared';
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
}

/** The user behind a session as the database has it now, or null if the user or session may no longer act. */
export async function loadPrincipal(
  pool: pg.Pool,
  userId: string,
  sessionId: string,
): Promise<Principal | null> {
  const { rows } = await retryTransientOnce(() =>
    pool.query<PrincipalRow>('SELECT * FROM auth_principal($1::uuid, $2::uuid)', [userId, sessionId]),
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
  };
}
