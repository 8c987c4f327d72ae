import { brokerPasswordHash, hashCredential } from '@tidewatch/db';
import pg from 'pg';

export interface ProvisionedDevice {
  readonly id: string;
  readonly secret: string;
  /** Series id by metric key. */
  readonly series: Readonly<Record<string, number>>;
}

/**
 * Inserts `count` MQTT devices with series for `metricKeys` into a tenant, as the schema owner: fast enough for
 * benchmarks and fault tests that need hundreds. All share `secret` (hashed once, for the server and the broker).
 */
export async function provisionDevices(
  adminUrl: string,
  options: {
    tenantSlug: string;
    count: number;
    metricKeys: readonly string[];
    secret: string;
    label: string;
  },
): Promise<ProvisionedDevice[]> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const tenant = await admin.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [
      options.tenantSlug,
    ]);
    const tenantId = tenant.rows[0]?.id;
    if (!tenantId) throw new Error(`no tenant ${options.tenantSlug}`);
    const [credential, brokerHash] = await Promise.all([
      hashCredential(options.secret),
      brokerPasswordHash(options.secret),
    ]);
    const devices = await admin.query<{ id: string }>(
      `INSERT INTO devices (tenant_id, name, serial_number, transport, credential_hash, broker_password_hash)
       SELECT $1, $2 || ' ' || g, upper($2) || '-' || g || '-' || substr(md5(random()::text), 1, 6), 'mqtt', $3, $4
         FROM generate_series(1, $5) AS g
       RETURNING id`,
      [tenantId, options.label, credential, brokerHash, options.count],
    );
    const ids = devices.rows.map((row) => row.id);
    const series = await admin.query<{ device_id: string; key: string; id: number }>(
      `INSERT INTO series (tenant_id, device_id, metric_id)
       SELECT $1, d, m.id FROM unnest($2::uuid[]) AS d, metrics m WHERE m.tenant_id = $1 AND m.key = ANY($3)
       RETURNING device_id, (SELECT key FROM metrics WHERE id = metric_id) AS key, id`,
      [tenantId, ids, options.metricKeys],
    );
    return ids.map((id) => ({
      id,
      secret: options.secret,
      series: Object.fromEntries(
        series.rows.filter((row) => row.device_id === id).map((row) => [row.key, row.id]),
      ),
    }));
  } finally {
    await admin.end();
  }
}
