import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { provisionDevices } from '@tidewatch/server/testing/provision-devices';
import type pg from 'pg';

export interface BenchFleet {
  readonly devices: readonly { readonly id: string; readonly secret: string }[];
  /** The metric keys every device reports, one series each. */
  readonly metricKeys: readonly string[];
  readonly seriesIds: readonly number[];
}

const SECRET = 'bench-device-secret';
// `2` is Algorithm.Argon2id, a const enum isolated modules cannot import.
const ARGON2ID = 2;
const cheapArgon2 = { algorithm: ARGON2ID, memoryCost: 64, timeCost: 1, parallelism: 1 } as const;

/**
 * Hashes of the bench secret at almost no cost (argon2id at 64 KiB and one pass, Mosquitto's own default of 101 PBKDF2 rounds): the benchmark measures
 * readings, not sign-ins, and 5,000 devices at the production cost would spend minutes signing in. The server
 * and Mosquitto verify with the cost each hash names.
 */
async function cheapHashes(): Promise<{ credential: string; broker: string }> {
  const credential = await hash(SECRET, cheapArgon2);
  const salt = randomBytes(12);
  const digest = pbkdf2Sync(SECRET, salt, 101, 64, 'sha512');
  return { credential, broker: `$7$101$${salt.toString('base64')}$${digest.toString('base64')}` };
}

/**
 * `devices` MQTT devices in the tenant, each with a series for each of `metricsPerDevice` bench metrics
 * (`bench_m0`, ... without a valid range, made here), inserted in bulk.
 */
export async function provisionBenchFleet(
  admin: pg.Client,
  adminUrl: string,
  options: { tenantSlug: string; devices: number; metricsPerDevice: number },
): Promise<BenchFleet> {
  const metricKeys = Array.from({ length: options.metricsPerDevice }, (_v, i) => `bench_m${String(i)}`);
  await admin.query(
    `INSERT INTO metrics (tenant_id, key, name)
     SELECT t.id, k, 'Bench metric ' || k FROM tenants t, unnest($2::text[]) AS k WHERE t.slug = $1
     ON CONFLICT (tenant_id, key) DO NOTHING`,
    [options.tenantSlug, metricKeys],
  );
  const devices = await provisionDevices(adminUrl, {
    tenantSlug: options.tenantSlug,
    count: options.devices,
    metricKeys,
    secret: SECRET,
    label: 'Bench device',
    hashes: await cheapHashes(),
  });
  return {
    devices: devices.map((device) => ({ id: device.id, secret: device.secret })),
    metricKeys,
    seriesIds: devices.flatMap((device) => Object.values(device.series)),
  };
}
