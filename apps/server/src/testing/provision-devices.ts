import { brokerPasswordHash, hashCredential } from '@tidewatch/db';
import pg from 'pg';

export interface ProvisionedDevice {
  readonly id: string;
  readonly secret: string;
  /** Series id by metric key. */
  readonly series: Readonly<Record<string, number>>;
}

/**
 * Inserts `count` MQTT devices with series for `metricKeys` into a tenant, as the schema owner, in bulk: fast
 * enough for benchmarks of thousands. All share `secret` (hashed once, for the server and the broker).
 */
export async function provisionDevices(
  adminUrl: string,
  options: {
    tenantSlug: string;
    count: number;
    metricKeys: readonly string[];
    secret: string;
    label: string;
    /**
     * Hashes of `secret` to store instead of hashing it at full cost here: a benchmark signs thousands of
     * devices in and gives them cheap ones (the server and Mosquitto check the cost each hash names).
     */
    hashes?: { readonly credential: string; readonly broker: string };
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
    const [credential, brokerHash] = options.hashes
      ? [options.hashes.credential, options.hashes.broker]
      : await Promise.all([hashCredential(options.secret), brokerPasswordHash(options.secret)]);
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
    // Grouped once: thousands of devices with tens of thousands of series.
    const seriesOf = new Map<string, Record<string, number>>();
    for (const row of series.rows) {
      const byKey = seriesOf.get(row.device_id) ?? {};
      byKey[row.key] = row.id;
      seriesOf.set(row.device_id, byKey);
    }
    return ids.map((id) => ({ id, secret: options.secret, series: seriesOf.get(id) ?? {} }));
  } finally {
    await admin.end();
  }
}
