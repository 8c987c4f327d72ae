import { withTenantClient } from '@tidewatch/db';
import type pg from 'pg';

export interface DevicePlace {
  readonly assetId: string | null;
  readonly zoneId: string | null;
}

interface Entry {
  readonly place: Promise<DevicePlace | null>;
  readonly at: number;
}

/**
 * Where a device is (its asset and that asset's zone), so its status reaches only who may see it. Cached for
 * `ttlMs`; concurrent lookups of one device share one query, so events about it keep their order.
 */
export class DevicePlaces {
  private readonly cache = new Map<string, Entry>();
  private static readonly MAX_ENTRIES = 50_000;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlMs = 60_000,
  ) {}

  lookup(tenantId: string, deviceId: string): Promise<DevicePlace | null> {
    const now = Date.now();
    const cached = this.cache.get(deviceId);
    if (cached && now - cached.at < this.ttlMs) return cached.place;
    if (this.cache.size >= DevicePlaces.MAX_ENTRIES) this.cache.clear();
    const place = this.query(tenantId, deviceId);
    this.cache.set(deviceId, { place, at: now });
    // A failed lookup is not kept: the next event asks again.
    place.catch(() => this.cache.delete(deviceId));
    return place;
  }

  private async query(tenantId: string, deviceId: string): Promise<DevicePlace | null> {
    const rows = await withTenantClient(this.pool, { tenantId, userId: null, role: null }, async (client) => {
      const result = await client.query<{ asset_id: string | null; zone_id: string | null }>({
        name: 'realtime-device-place',
        text: 'SELECT d.asset_id, a.zone_id FROM devices d LEFT JOIN assets a ON a.id = d.asset_id WHERE d.id = $1',
        values: [deviceId],
      });
      return result.rows;
    });
    const row = rows[0];
    return row ? { assetId: row.asset_id, zoneId: row.zone_id } : null;
  }
}
