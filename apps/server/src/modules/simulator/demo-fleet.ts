import type pg from 'pg';

/** A series' newest stored reading, where the simulation of it starts. */
export interface LastReading {
  readonly value: number;
  readonly time: number;
}

/** A demo device the simulator plays: one of the seed's MQTT devices still holding the published demo secret. */
export interface DemoDevice {
  readonly id: string;
  readonly tenantId: string;
  readonly timeZone: string;
  readonly assetCode: string;
  readonly assetKind: string;
  /** The asset's index among its tenant's assets of the same kind (`HYD-TNK-003` is 2), as the seed numbers them. */
  readonly ordinal: number;
  readonly zoneId: string | null;
  readonly properties: Readonly<Record<string, unknown>>;
  /** Its series by metric key, with the last reading where there is one. */
  readonly metrics: ReadonlyMap<string, LastReading | null>;
}

interface FleetRow {
  device_id: string;
  tenant_id: string;
  time_zone: string;
  asset_code: string;
  asset_kind: string;
  zone_id: string | null;
  properties: Record<string, unknown>;
  metric_key: string;
  last_value: number | null;
  last_time: Date | null;
}

function ordinalOf(code: string): number {
  const match = /-(\d+)$/.exec(code);
  return match?.[1] ? Number(match[1]) - 1 : 0;
}

/** Every demo device of every tenant, one entry per device, in a stable order. */
export async function loadDemoFleet(pool: pg.Pool): Promise<DemoDevice[]> {
  const { rows } = await pool.query<FleetRow>('SELECT * FROM demo_simulator_devices()');
  const devices = new Map<string, DemoDevice & { metrics: Map<string, LastReading | null> }>();
  for (const row of rows) {
    let device = devices.get(row.device_id);
    if (!device) {
      device = {
        id: row.device_id,
        tenantId: row.tenant_id,
        timeZone: row.time_zone,
        assetCode: row.asset_code,
        assetKind: row.asset_kind,
        ordinal: ordinalOf(row.asset_code),
        zoneId: row.zone_id,
        properties: row.properties,
        metrics: new Map(),
      };
      devices.set(row.device_id, device);
    }
    device.metrics.set(
      row.metric_key,
      row.last_value === null || row.last_time === null
        ? null
        : { value: row.last_value, time: row.last_time.getTime() },
    );
  }
  return [...devices.values()];
}
