import type { TenantTransaction } from '@tidewatch/db';
import { invalid } from '../http/app-error.ts';

type Table = 'zones' | 'assets' | 'devices' | 'alerts' | 'users' | 'metrics';

/**
 * Checks that ids a request refers to exist in the tenant in context. Foreign keys alone would not do: their
 * checks run as the table owner, past row-level security, so they would accept another tenant's ids.
 */
export async function requireInTenant(
  tx: TenantTransaction,
  table: Table,
  field: string,
  ids: readonly (string | null | undefined)[],
): Promise<void> {
  const wanted = [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
  if (wanted.length === 0) return;
  const rows = await tx.$queryRawUnsafe<{ count: bigint }[]>(
    `SELECT count(*) AS count FROM ${table} WHERE id = ANY($1::uuid[])`,
    wanted,
  );
  if (Number(rows[0]?.count ?? 0) !== wanted.length) {
    throw invalid(
      field,
      wanted.length === 1 ? 'No such item in this tenant' : 'Some of these do not exist in this tenant',
    );
  }
}

/** What a zone-limited caller may refer to, by table: live zones and assets, devices and alerts, in their zones. */
const reachable = {
  zones: `FROM zones t WHERE t.archived_at IS NULL AND ($2::uuid[] IS NULL OR t.id = ANY($2::uuid[]))`,
  assets: `FROM assets t WHERE t.archived_at IS NULL AND ($2::uuid[] IS NULL OR t.zone_id = ANY($2::uuid[]))`,
  devices: `FROM devices t LEFT JOIN assets a ON a.id = t.asset_id
            WHERE ($2::uuid[] IS NULL OR a.zone_id = ANY($2::uuid[]))`,
  alerts: `FROM alerts t WHERE ($2::uuid[] IS NULL OR t.zone_id = ANY($2::uuid[]))`,
} as const;

/**
 * `requireInTenant` for references a new or changed record makes: the ids must exist in the tenant, be live (an
 * archived zone or asset takes nothing new) and, for a zone-limited caller, lie within their zones. Anything else
 * is answered as if it did not exist, so the answer tells nothing about other zones.
 */
export async function requireInZones(
  tx: TenantTransaction,
  zones: readonly string[] | null,
  table: keyof typeof reachable,
  field: string,
  ids: readonly (string | null | undefined)[],
): Promise<void> {
  const wanted = [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
  if (wanted.length === 0) return;
  const rows = await tx.$queryRawUnsafe<{ count: bigint }[]>(
    `SELECT count(*) AS count ${reachable[table]} AND t.id = ANY($1::uuid[])`,
    wanted,
    zones === null ? null : [...zones],
  );
  if (Number(rows[0]?.count ?? 0) !== wanted.length) {
    throw invalid(
      field,
      wanted.length === 1 ? 'No such item in this tenant' : 'Some of these do not exist in this tenant',
    );
  }
}
