import type { AdminDb } from './admin-db.ts';
import type { ResourceKind } from './fixtures/fuzz-tenant.ts';

/** One id of each kind a route can address, of one tenant, read as the database owner. */
export type TenantIds = Record<ResourceKind, string> & { readonly series: number };

/** Stands in for a kind of which a tenant has none, so a request can still be made (and must find nothing). */
export const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

export async function sampleIds(db: AdminDb, tenantId: string): Promise<TenantIds> {
  const one = async (sql: string): Promise<string> =>
    (await db.query<{ id: string }>(sql, [tenantId]))[0]?.id ?? NO_SUCH_ID;
  return {
    tenant: tenantId,
    zone: await one('SELECT id FROM zones WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
    user: await one(`SELECT id FROM users WHERE tenant_id = $1 AND role = 'operator' ORDER BY id LIMIT 1`),
    asset: await one('SELECT id FROM assets WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
    device: await one(
      `SELECT id FROM devices WHERE tenant_id = $1 AND transport = 'mqtt' ORDER BY id LIMIT 1`,
    ),
    thingSpeakDevice: await one(
      'SELECT device_id AS id FROM thingspeak_bindings WHERE tenant_id = $1 LIMIT 1',
    ),
    opcuaCertificate: await one(
      'SELECT id FROM opcua_server_certificates WHERE tenant_id = $1 ORDER BY id LIMIT 1',
    ),
    lorawanApplication: await one(
      'SELECT id FROM lorawan_applications WHERE tenant_id = $1 ORDER BY id LIMIT 1',
    ),
    rule: await one('SELECT id FROM alert_rules WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
    alert: await one(
      `SELECT id FROM alerts WHERE tenant_id = $1 ORDER BY (state = 'active_unacknowledged') DESC, id LIMIT 1`,
    ),
    notificationRule: await one('SELECT id FROM notification_rules WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
    incident: await one('SELECT id FROM incidents WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
    command: await one('SELECT id FROM device_commands WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
    session: await one(
      'SELECT id FROM sessions WHERE tenant_id = $1 AND revoked_at IS NULL ORDER BY id LIMIT 1',
    ),
    schedule: await one('SELECT id FROM on_call_schedules WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
    report: await one('SELECT id FROM reports WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
    series: Number(await one('SELECT id::text AS id FROM series WHERE tenant_id = $1 ORDER BY id LIMIT 1')),
    attachment: await one('SELECT id FROM attachments WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
    maintenanceLog: await one('SELECT id FROM maintenance_logs WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
    maintenancePlan: await one('SELECT id FROM maintenance_plans WHERE tenant_id = $1 ORDER BY id LIMIT 1'),
  };
}

/** Every id a tenant owns: any of them in another tenant's answer is a leak. */
export interface TenantFootprint {
  /** Each id, with the table it is in. */
  readonly uuids: ReadonlyMap<string, string>;
  readonly series: ReadonlySet<number>;
}

export async function footprintOf(db: AdminDb, tenantId: string): Promise<TenantFootprint> {
  const tables = await tenantTables(db);
  const uuids = new Map<string, string>([[tenantId, 'tenants']]);
  for (const table of tables.filter((t) => t.hasUuidId)) {
    const rows = await db.query<{ id: string }>(
      `SELECT id::text AS id FROM ${table.name} WHERE tenant_id = $1`,
      [tenantId],
    );
    for (const row of rows) uuids.set(row.id.toLowerCase(), table.name);
  }
  const series = await db.query<{ id: number }>('SELECT id FROM series WHERE tenant_id = $1', [tenantId]);
  return { uuids, series: new Set(series.map((row) => row.id)) };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * What of `foreign` an answer shows: its uuids anywhere, its series ids under a `seriesId` key. The `instance`
 * of a problem echoes the caller's own request path, and ids the request itself carried (`sent`) may come
 * back, so neither counts.
 */
export function leaksIn(text: string, foreign: TenantFootprint, sent = ''): string[] {
  const echoed = new Set([...sent.matchAll(UUID)].map((match) => match[0].toLowerCase()));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  let scanned = text;
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'instance' in body) {
    const { instance: _echo, ...rest } = body as Record<string, unknown>;
    scanned = JSON.stringify(rest);
  }
  const leaks = new Set<string>();
  for (const match of scanned.matchAll(UUID)) {
    // An id the caller sent may come back (a bulk answer lists what it skipped); only others are leaks.
    const id = match[0].toLowerCase();
    const table = foreign.uuids.get(id);
    if (table !== undefined && !echoed.has(id)) {
      const at = match.index;
      leaks.add(`${table} ${match[0]} in …${scanned.slice(Math.max(0, at - 80), at + 40)}…`);
    }
  }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (
          /^seriesId$/i.test(key) &&
          typeof value === 'number' &&
          foreign.series.has(value) &&
          !sent.includes(String(value))
        ) {
          leaks.add(`series ${String(value)}`);
        }
        walk(value);
      }
    }
  };
  walk(body);
  return [...leaks];
}

interface TenantTable {
  readonly name: string;
  readonly hasUuidId: boolean;
}

/** Tables holding one tenant's rows (partitions left out: their parent covers them). */
export async function tenantTables(db: AdminDb): Promise<TenantTable[]> {
  return db.query<TenantTable>(
    `SELECT c.relname AS name,
            EXISTS (SELECT 1 FROM pg_attribute i WHERE i.attrelid = c.oid AND i.attname = 'id'
                      AND i.atttypid = 'uuid'::regtype) AS "hasUuidId"
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
  );
}

/**
 * Tables that change without any request: sign-in bookkeeping, the audit trail of refusals, and device and
 * alert-engine state kept by background jobs.
 */
const VOLATILE_TABLES = new Set([
  'audit_log',
  'sessions',
  'refresh_tokens',
  'device_states',
  'device_downtimes',
  'alert_rule_states',
  'alert_floods',
  'alert_sequences',
  'notification_outbox',
]);
const VOLATILE_COLUMNS = [
  'failed_login_count',
  'locked_until',
  'last_login_at',
  'last_used_at',
  'last_seen_at',
];

/** A digest of every row a tenant owns (and a count of its readings), to prove a run changed nothing of it. */
export async function fingerprint(db: AdminDb, tenantId: string): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  const strip = VOLATILE_COLUMNS.map((column) => ` - '${column}'`).join('');
  for (const table of await tenantTables(db)) {
    if (VOLATILE_TABLES.has(table.name) || table.name === 'telemetry') continue;
    const [row] = await db.query<{ digest: string | null; count: string }>(
      `SELECT md5(string_agg((to_jsonb(t)${strip})::text, '|' ORDER BY (to_jsonb(t)${strip})::text)) AS digest,
              count(*) AS count
         FROM ${table.name} t WHERE tenant_id = $1`,
      [tenantId],
    );
    digests[table.name] = `${row?.count ?? '0'}:${row?.digest ?? ''}`;
  }
  const [readings] = await db.query<{ count: string; newest: string | null }>(
    `SELECT count(*) AS count, max(time)::text AS newest FROM telemetry
      WHERE series_id IN (SELECT id FROM series WHERE tenant_id = $1)`,
    [tenantId],
  );
  digests.telemetry = `${readings?.count ?? '0'}:${readings?.newest ?? ''}`;
  const [tenant] = await db.query<{ row: string }>(
    'SELECT to_jsonb(t)::text AS row FROM tenants t WHERE id = $1',
    [tenantId],
  );
  digests.tenant = tenant?.row ?? '';
  return digests;
}
