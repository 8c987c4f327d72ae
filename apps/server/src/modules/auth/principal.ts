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
  expires_at: Date;
  last_active_at: Date;
  idle_limit_ms: string;
  db_now: Date;
}

/** When the session stops being usable unless it is used again, in the database's clock (epoch ms). */
export interface SessionClock {
  readonly expiresAt: number;
  readonly lastActiveAt: number;
  readonly idleLimitMs: number;
  /** The database's clock minus this process's clock, measured at the read (within one round trip). */
  readonly offsetMs: number;
}

export interface PrincipalRead {
  readonly principal: Principal;
  readonly clock: SessionClock;
}

/**
 * The user behind a session as the database has it now, with the session's clock, or null if the user or session
 * may no longer act (revoked, expired, idle past its role's limit, user or tenant disabled). `activity`: the
 * request is the user's own doing and keeps the session from going idle; background polls and socket checks are
 * not.
 */
export async function readPrincipal(
  pool: pg.Pool,
  userId: string,
  sessionId: string,
  activity = false,
): Promise<PrincipalRead | null> {
  const sentAt = Date.now();
  const { rows } = await retryTransientOnce(() =>
    pool.query<PrincipalRow>({
      name: 'auth-principal',
      text: 'SELECT * FROM auth_principal($1::uuid, $2::uuid, $3)',
      values: [userId, sessionId, activity],
    }),
  );
  const receivedAt = Date.now();
  const row = rows[0];
  if (!row?.active) return null;
  return {
    principal: {
      userId: row.user_id,
      sessionId,
      email: row.email,
      displayName: row.display_name,
      role: row.role,
      homeTenantId: row.tenant_id,
      zoneIds: row.zone_ids,
      pendingStep: row.pending_step,
    },
    clock: {
      expiresAt: row.expires_at.getTime(),
      lastActiveAt: row.last_active_at.getTime(),
      idleLimitMs: Number(row.idle_limit_ms),
      // The database read its clock somewhere within the round trip: its middle is off by half of it at most.
      offsetMs: row.db_now.getTime() - (sentAt + receivedAt) / 2,
    },
  };
}

/** The principal alone, read from the database (see readPrincipal). */
export async function loadPrincipal(
  pool: pg.Pool,
  userId: string,
  sessionId: string,
  activity = false,
): Promise<Principal | null> {
  return (await readPrincipal(pool, userId, sessionId, activity))?.principal ?? null;
}
