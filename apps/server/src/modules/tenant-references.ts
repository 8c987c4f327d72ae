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
