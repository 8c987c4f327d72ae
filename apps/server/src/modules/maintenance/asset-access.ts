import type { TenantTransaction } from '@tidewatch/db';
import { conflict, notFound } from '../../http/app-error.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { inZoneLimit } from '../../http/zone-scope.ts';

/**
 * An asset as the caller may see it (404 outside the tenant or their zones, alike); `live` also refuses an
 * archived one (409), which takes no new records. Answers its zone.
 */
export async function requireAsset(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
  purpose: 'read' | 'live',
): Promise<{ zoneId: string | null }> {
  const [row] = await tx.$queryRaw<{ zone_id: string | null; archived: boolean }[]>`
    SELECT zone_id, archived_at IS NOT NULL AS archived FROM assets WHERE id = ${id}::uuid`;
  if (!row || !inZoneLimit(ctx, row.zone_id)) throw notFound('Asset');
  if (purpose === 'live' && row.archived) throw conflict('The asset is archived');
  return { zoneId: row.zone_id };
}
