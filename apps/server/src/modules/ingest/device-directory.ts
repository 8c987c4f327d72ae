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

/** Devices read by one query at most. */
const MAX_BATCH = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Devices as ingest sees them, cached for `ttlMs` so a busy device costs no query per message. A change made
 * through this server's API invalidates at once; one made elsewhere applies within the TTL. Device secrets are
 * checked by device-auth's DeviceSignIn.
 */
export class DeviceDirectory {
  private readonly cache = new Map<string, { device: IngestDevice | null; loadedAt: number }>();
  /**
   * Lookups under way, by device: the messages of a busy device that arrive while its entry is being (re)loaded
   * wait for that one query. Without this, every message of a device publishing 60 times a second started its own
   * query when the entry expired, and under load those queries filled the pool until lookups timed out.
   */
  private readonly loading = new Map<string, Promise<IngestDevice | null>>();
  /** Invalidations per device, so a lookup that started before one does not cache what it read. */
  private readonly generation = new Map<string, number>();
  /** The lookups gathered in this turn of the event loop, read together by one query at the next. */
  private batch: { readonly ids: string[]; readonly read: Promise<Map<string, IngestDevice>> } | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlMs: number,
  ) {}

  async get(deviceId: string): Promise<IngestDevice | null> {
    if (!UUID.test(deviceId)) return null;
    const cached = this.cache.get(deviceId);
    if (cached && Date.now() - cached.loadedAt < this.ttlMs) return cached.device;
    const pending = this.loading.get(deviceId);
    if (pending) return pending;
    const load: Promise<IngestDevice | null> = this.load(deviceId).finally(() => {
      if (this.loading.get(deviceId) === load) this.loading.delete(deviceId);
    });
    this.loading.set(deviceId, load);
    return load;
  }

  invalidate(deviceId: string): void {
    this.cache.delete(deviceId);
    // A lookup under way may have read the row before the change: it must not put it back in the cache.
    this.loading.delete(deviceId);
    this.generation.set(deviceId, (this.generation.get(deviceId) ?? 0) + 1);
  }

  /** Joins the next batch of lookups; the devices asked for in one turn of the event loop are read by one query. */
  private async load(deviceId: string): Promise<IngestDevice | null> {
    const generation = this.generation.get(deviceId) ?? 0;
    if (!this.batch) {
      const ids: string[] = [];
      const read = new Promise<Map<string, IngestDevice>>((resolve, reject) => {
        setImmediate(() => {
          this.batch = null;
          this.read(ids).then(resolve, reject);
        });
      });
      this.batch = { ids, read };
    }
    this.batch.ids.push(deviceId);
    const devices = await this.batch.read;
    const device = devices.get(deviceId) ?? null;
    if ((this.generation.get(deviceId) ?? 0) !== generation) return device;
    if (this.cache.size > 50_000) {
      this.cache.clear();
      this.generation.clear();
    }
    this.cache.set(deviceId, { device, loadedAt: Date.now() });
    return device;
  }

  /** The devices of `ids` that exist, by id: at most MAX_BATCH to a query, one pooled connection each. */
  private async read(ids: readonly string[]): Promise<Map<string, IngestDevice>> {
    const devices = new Map<string, IngestDevice>();
    for (let at = 0; at < ids.length; at += MAX_BATCH) {
      const chunk = ids.slice(at, at + MAX_BATCH);
      const { rows } = await retryTransientOnce(() =>
        this.pool.query<DeviceRow>({
          name: 'ingest-devices',
          text: 'SELECT d.* FROM unnest($1::uuid[]) AS i (id) CROSS JOIN LATERAL ingest_device(i.id) AS d',
          values: [chunk],
        }),
      );
      for (const row of rows) devices.set(row.device_id, ingestDevice(row));
    }
    return devices;
  }
}

function ingestDevice(row: DeviceRow): IngestDevice {
  return {
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
  };
}
