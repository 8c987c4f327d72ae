import { hashCredential, withTenant, type Database } from '@tidewatch/db';
import type { Logger } from '../../logger.ts';
import { passwordProblem } from './password-policy.ts';

const DISPLAY_NAME = 'Administrator';

/** A start the server refuses, with a message for whoever runs it (no stack trace needed). */
export class StartRefused extends Error {}

/**
 * Creates the first super_admin from TIDEWATCH_ADMIN_EMAIL / TIDEWATCH_ADMIN_PASSWORD when none exists yet. The
 * password must pass the password policy, and is temporary: it lives on in deployment files, so the
 * administrator chooses their own at the first sign-in. Later starts leave every account alone, so the variables
 * cannot reset a password. Without them, a database with no account at all refuses the start: nobody could sign
 * in, and the only way in would be the demo seed, whose credentials are published.
 */
export async function bootstrapSuperAdmin(
  db: Database,
  log: Logger,
  admin: { email: string; password: string } | null,
): Promise<boolean> {
  if (!admin) {
    const { rows } = await db.pool.query<{ exists: boolean }>('SELECT auth_any_user_exists() AS exists');
    if (rows[0]?.exists) return false;
    throw new StartRefused(
      'This database has no accounts yet. Set TIDEWATCH_ADMIN_EMAIL and TIDEWATCH_ADMIN_PASSWORD to create the ' +
        'first administrator (see "Production setup" in the README), or, to try Tidewatch on this machine only, ' +
        'seed the demo tenants: SEED=demo npm start.',
    );
  }
  const { rows } = await db.pool.query<{ exists: boolean }>('SELECT auth_super_admin_exists() AS exists');
  if (rows[0]?.exists) return false;
  const problem = passwordProblem(admin.password, { email: admin.email, displayName: DISPLAY_NAME });
  if (problem !== null) throw new Error(`TIDEWATCH_ADMIN_PASSWORD ${problem}`);
  const passwordHash = await hashCredential(admin.password);
  await withTenant(db.prisma, { tenantId: null, userId: null, role: 'super_admin' }, async (tx) => {
    const user = await tx.user.create({
      data: {
        email: admin.email,
        displayName: DISPLAY_NAME,
        role: 'super_admin',
        passwordHash,
        mustChangePassword: true,
      },
      select: { id: true },
    });
    await tx.$executeRaw`
      INSERT INTO audit_log (actor_type, action, resource_type, resource_id, details)
      VALUES ('system', 'user.bootstrap_super_admin', 'user', ${user.id}, ${JSON.stringify({ email: admin.email })}::jsonb)`;
  });
  log.info({ email: admin.email }, 'created the first super_admin');
  return true;
}
