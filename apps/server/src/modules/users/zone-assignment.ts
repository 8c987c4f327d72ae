import type { TenantTransaction } from '@tidewatch/db';
import { forbidden } from '../../http/app-error.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import { requireInZones } from '../tenant-references.ts';

/**
 * The zones a caller may give a user, themselves included: live zones of the tenant and, for a zone-limited
 * caller, a non-empty set of their own. No zones means every zone, so an empty set from them would lift a limit
 * (their own, or a user's they manage); a zone outside their set would widen one. Neither is theirs to give.
 */
export async function checkZoneAssignment(
  tx: TenantTransaction,
  ctx: TenantContext,
  zoneIds: readonly string[],
): Promise<void> {
  const limit = zoneLimit(ctx);
  if (limit && zoneIds.length === 0) {
    throw forbidden('You are limited to some zones: you cannot give anyone every zone');
  }
  await requireInZones(tx, limit, 'zones', 'zoneIds', zoneIds);
}
