import type { TenantTransaction } from '@tidewatch/db';
import { isForeignKeyViolation } from '../database-errors.ts';

/** Tables whose rows a DELETE route removes or, when anything still names them, archives. */
export type ArchivableTable = 'zones' | 'assets' | 'alert_rules';

/** What became of a row a DELETE route was asked to remove. */
export type Removal = 'deleted' | 'archived';

/**
 * Deletes a row that nothing refers to; archives one that history (or anything else) still names. The foreign keys
 * decide: every reference that a delete would lose restricts (see the `history_kept` migration), so a delete they
 * refuse is a row to keep. The attempt runs under a savepoint, so the refused delete leaves the transaction usable.
 * The row must be live and within the caller's reach; the caller checks that first.
 * @example await deleteOrArchive(tx, 'zones', zoneId, ctx.principal.userId) // 'archived' when alerts name the zone
 */
export async function deleteOrArchive(
  tx: TenantTransaction,
  table: ArchivableTable,
  id: string,
  userId: string,
): Promise<Removal> {
  await tx.$executeRawUnsafe('SAVEPOINT delete_or_archive');
  try {
    await tx.$executeRawUnsafe(`DELETE FROM ${table} WHERE id = $1::uuid`, id);
    await tx.$executeRawUnsafe('RELEASE SAVEPOINT delete_or_archive');
    return 'deleted';
  } catch (error) {
    if (!isForeignKeyViolation(error)) throw error;
    await tx.$executeRawUnsafe('ROLLBACK TO SAVEPOINT delete_or_archive');
  }
  // An archived rule is disabled too: the database refuses an archived rule that is enabled.
  await tx.$executeRawUnsafe(
    `UPDATE ${table} SET archived_at = now(), archived_by = $2::uuid
       ${table === 'alert_rules' ? ', enabled = false' : ''}
     WHERE id = $1::uuid AND archived_at IS NULL`,
    id,
    userId,
  );
  return 'archived';
}
