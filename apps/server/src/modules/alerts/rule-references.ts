import type { TenantTransaction } from '@tidewatch/db';
import type { AlertTargetScope } from '@tidewatch/shared';
import { forbidden, invalid } from '../../http/app-error.ts';
import { requireInTenant, requireInZones } from '../tenant-references.ts';

/** What a rule refers to, as created, changed or previewed. */
export interface RuleReferences {
  readonly scope: AlertTargetScope;
  readonly seriesId: number | null;
  readonly assetId: string | null;
  readonly zoneId: string | null;
  readonly metricId: string | null;
}

/**
 * The zone a rule watches in: its asset's, its series' device's asset's, or the zone an asset-kind rule is narrowed
 * to. Null for a tenant-wide asset-kind rule, or a series on a device without an asset.
 */
const ruleZoneSql = `CASE r.scope WHEN 'asset' THEN a.zone_id WHEN 'series' THEN sa.zone_id ELSE r.zone_id END`;
const ruleJoins = `LEFT JOIN assets a ON a.id = r.asset_id
                   LEFT JOIN series s ON s.id = r.series_id
                   LEFT JOIN devices d ON d.id = s.device_id
                   LEFT JOIN assets sa ON sa.id = d.asset_id`;

/**
 * The rules a zone-limited caller may see: those watching inside their zones, and tenant-wide asset-kind and tag
 * rules, which name nothing of any zone. As a Prisma filter on the rule id; empty for a caller with every zone.
 */
export async function visibleRules(
  tx: TenantTransaction,
  zones: readonly string[] | null,
): Promise<{ id?: { in: string[] } }> {
  if (zones === null) return {};
  const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT r.id FROM alert_rules r ${ruleJoins}
      WHERE ${ruleZoneSql} = ANY($1::uuid[]) OR (r.scope IN ('asset_kind', 'tag') AND r.zone_id IS NULL)`,
    [...zones],
  );
  return { id: { in: rows.map((row) => row.id) } };
}

/**
 * Checks what a rule refers to: everything in the tenant, zones and assets live and, for a zone-limited caller,
 * within their zones, and the rule as a whole watching inside them (a tenant-wide rule is for a user with every
 * zone). A preview is checked the same way: it replays the readings of the targets.
 */
export async function checkRuleReferences(
  tx: TenantTransaction,
  zones: readonly string[] | null,
  rule: RuleReferences,
): Promise<void> {
  if (rule.seriesId !== null) {
    const rows = await tx.$queryRawUnsafe<{ zone_id: string | null }[]>(
      `SELECT a.zone_id FROM series s JOIN devices d ON d.id = s.device_id LEFT JOIN assets a ON a.id = d.asset_id
        WHERE s.id = $1`,
      rule.seriesId,
    );
    const row = rows[0];
    if (!row || (zones !== null && (row.zone_id === null || !zones.includes(row.zone_id)))) {
      throw invalid('seriesId', 'No such series in this tenant');
    }
  }
  await requireInZones(tx, zones, 'assets', 'assetId', [rule.assetId]);
  await requireInZones(tx, zones, 'zones', 'zoneId', [rule.zoneId]);
  await requireInTenant(tx, 'metrics', 'metricId', [rule.metricId]);
  if (rule.scope === 'zone') {
    const dma = await tx.$queryRawUnsafe<unknown[]>(
      'SELECT 1 FROM dmas WHERE zone_id = $1::uuid',
      rule.zoneId,
    );
    if (dma.length === 0) throw invalid('zoneId', 'The zone is not a district metered area');
  }
  if (zones !== null && (rule.scope === 'asset_kind' || rule.scope === 'tag') && rule.zoneId === null) {
    throw forbidden('A rule over the whole tenant is for a user with every zone: narrow it to one of yours');
  }
}

/** Whether a zone-limited caller may change or archive a stored rule: it must watch inside their zones. */
export async function ruleWithinZones(
  tx: TenantTransaction,
  zones: readonly string[] | null,
  ruleId: string,
): Promise<boolean> {
  if (zones === null) return true;
  const rows = await tx.$queryRawUnsafe<{ inside: boolean }[]>(
    `SELECT coalesce(${ruleZoneSql} = ANY($2::uuid[]), false) AS inside FROM alert_rules r ${ruleJoins}
      WHERE r.id = $1::uuid`,
    ruleId,
    [...zones],
  );
  return rows[0]?.inside ?? false;
}
