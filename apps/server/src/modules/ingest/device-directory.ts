import { retryTransientOnce } from '@tidewatch/db';
import type { DeviceTransport } from '@tidewatch/shared';
import type pg from 'pg';
import type { CalibrationInfo, IngestDevice, SeriesInfo } from './ingest-device.ts';

interface DeviceRow {
  device_id: string;
  tenant_id: string;
  asset_id: string | null;
  transport: DeviceTransport;
  disabled: boolean;
  credential_hash: string | null;
  credential_rotated_at: Date | null;
  series: SeriesInfo[];
  calibrations: { seriesId: number; scale: number; offset: number; from: string | null; to: string | null }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Devices as ingest sees them, cached for `ttlMs` so a busy device costs no query per message. A change made
 * through this server's API invalidates at once; one made elsewhere applies within the TTL. Device secrets are
 * checked by device-auth's DeviceSignIn.
 */
export class DeviceDirectory {
  private readonly cache = new Map<string, { device: IngestDevice | null; loadedAt: number }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlMs: number,
  ) {}

  async get(deviceId: string): Promise<IngestDevice | null> {
    if (!UUID.test(deviceId)) return null;
    const cached = this.cache.get(deviceId);
    if (cached && Date.now() - cached.loadedAt < this.ttlMs) return cached.device;
    const { rows } = await retryTransientOnce(() =>
      this.pool.query<DeviceRow>('SELECT * FROM ingest_device($1::uuid)', [deviceId]),
    );
    const row = rows[0];
    const device: IngestDevice | null = row
      ? {
          id: row.device_id,
          tenantId: row.tenant_id,
          assetId: row.asset_id,
          transport: row.transport,
          disabled: row.disabled,
          credentialHash: row.credential_hash,
          credentialRotatedAt: row.credential_rotated_at?.getTime() ?? null,
          seriesByKey: new Map(row.series.map((s) => [s.key, s])),
          calibrations: row.calibrations.map((c): CalibrationInfo => ({
            seriesId: c.seriesId,
            scale: c.scale,
            offset: c.offset,
            from: c.from === null ? null : Date.parse(c.from),
            to: c.to === null ? null : Date.parse(c.to),
          })),
        }
      : null;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(deviceId, { device, loadedAt: Date.now() });
    return device;
  }

  invalidate(deviceId: string): void {
    this.cache.delete(deviceId);
  }
}
