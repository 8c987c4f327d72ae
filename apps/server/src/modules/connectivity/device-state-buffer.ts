import { beginWithContextSql } from '@tidewatch/db';
import type pg from 'pg';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';

/** A device's messages that were just committed: who sent them and their newest reading time (epoch ms). */
export interface HeardDevice {
  readonly tenantId: string;
  readonly deviceId: string;
  readonly readingAt: number;
}

interface Heard {
  readonly tenantId: string;
  /** When this instance last committed a message of the device (epoch ms, this process's clock). */
  seenAt: number;
  /** The newest reading time among those messages (epoch ms); 0 if none. */
  readingAt: number;
}

/**
 * How far the database's last_seen_at / last_reading_at may lag behind what an instance has heard: a device is
 * written at the next flush (at most one interval later), and that flush may take up to another interval. Silence
 * checks add it to their thresholds, so no instance calls a device silent that another one heard meanwhile.
 */
export function deviceStateLagMs(flushMs: number): number {
  return 2 * flushMs;
}

/**
 * Devices' last seen / last reading times, kept in memory and written every `flushMs` in one statement per tenant
 * (only rows whose values move, in device order so that concurrent flushes cannot deadlock).
 *
 * A device coming back online is found at once: a device this instance has not itself written as online in the
 * last `knownForMs` (never heard, marked offline, or silent here for long) is flushed before its messages are
 * acknowledged, and the flush turns it online and ends its downtime. Whichever flush ends the downtime tells the
 * bus, so each return is reported once across instances. A device taken offline on another instance while this
 * one still counts it online is turned online by the next periodic flush.
 */
export class DeviceStateBuffer {
  private heard = new Map<string, Heard>();
  /** Devices this instance wrote as online, and when it last heard them (epoch ms). */
  private readonly online = new Map<string, number>();
  private running: Promise<void> = Promise.resolve();
  private next: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly options: { readonly flushMs: number; readonly knownForMs: number },
  ) {}

  /**
   * Notes devices whose messages were committed now. Resolves at once, or, when one of them may be coming back
   * online, after the flush that records it; never rejects (a failed flush is retried at the next interval).
   */
  record(devices: readonly HeardDevice[], now = Date.now()): Promise<void> {
    let unknown = false;
    for (const device of devices) {
      const { readingAt } = device;
      const entry = this.heard.get(device.deviceId);
      if (entry) {
        entry.seenAt = Math.max(entry.seenAt, now);
        entry.readingAt = Math.max(entry.readingAt, readingAt);
      } else {
        this.heard.set(device.deviceId, { tenantId: device.tenantId, seenAt: now, readingAt });
      }
      const known = this.online.get(device.deviceId);
      if (known === undefined || now - known > this.options.knownForMs) unknown = true;
      else this.online.set(device.deviceId, now);
    }
    return unknown ? this.flush() : Promise.resolve();
  }

  /** Flushes every `flushMs`, and forgets a device as online once the bus says it went offline. */
  start(): void {
    this.unsubscribe = this.bus.on('device.connectivity', (event) => {
      if (event.connectivity === 'offline') this.online.delete(event.deviceId);
    });
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    this.timer.unref();
  }

  /** Writes what is held; call before the pool ends. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.flush();
  }

  /** One flush at a time; callers arriving while one runs share the next, which includes what they recorded. */
  flush(): Promise<void> {
    if (this.next) return this.next;
    const next = this.running.then(() => {
      this.next = undefined;
      return this.flushOnce();
    });
    this.next = next;
    this.running = next;
    return next;
  }

  private async flushOnce(): Promise<void> {
    if (this.heard.size === 0) return;
    const taken = this.heard;
    this.heard = new Map();
    const now = Date.now();
    try {
      const { notOnline, backOnline } = await writeStates(this.pool, taken, now);
      for (const [deviceId, entry] of taken) {
        if (notOnline.has(deviceId)) this.online.delete(deviceId);
        else this.online.set(deviceId, Math.max(this.online.get(deviceId) ?? 0, entry.seenAt));
      }
      for (const device of backOnline) {
        this.bus.emit('device.connectivity', { ...device, connectivity: 'online', at: Date.now() });
      }
    } catch (error) {
      // Kept for the next flush, merged with what was heard meanwhile.
      for (const [deviceId, entry] of taken) {
        const newer = this.heard.get(deviceId);
        if (newer) {
          newer.seenAt = Math.max(newer.seenAt, entry.seenAt);
          newer.readingAt = Math.max(newer.readingAt, entry.readingAt);
        } else this.heard.set(deviceId, entry);
      }
      this.log.warn({ err: error, devices: taken.size }, 'device states not written; retrying shortly');
    }
    for (const [deviceId, heardAt] of this.online) {
      if (now - heardAt > this.options.knownForMs) this.online.delete(deviceId);
    }
  }
}

/**
 * One transaction; per tenant (in tenant order, under its context), one upsert of its devices in device order and,
 * for the devices that became online, the end of their open downtime. Returns the devices left not online (an
 * offline status newer than what was heard) and those whose downtime ended here.
 */
async function writeStates(
  pool: pg.Pool,
  heard: ReadonlyMap<string, Heard>,
  now: number,
): Promise<{ notOnline: Set<string>; backOnline: { tenantId: string; deviceId: string }[] }> {
  const byTenant = new Map<string, string[]>();
  for (const [deviceId, entry] of heard) {
    const devices = byTenant.get(entry.tenantId);
    if (devices) devices.push(deviceId);
    else byTenant.set(entry.tenantId, [deviceId]);
  }
  const notOnline = new Set<string>();
  const backOnline: { tenantId: string; deviceId: string }[] = [];
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    let first = true;
    for (const tenantId of [...byTenant.keys()].sort()) {
      const devices = (byTenant.get(tenantId) ?? []).sort();
      const context = beginWithContextSql({ tenantId, userId: null, role: null });
      await client.query(first ? context : context.replace(/^BEGIN; /, ''));
      first = false;
      // Ages rather than times: the database's clock places them, as it does for every other state change.
      const changed = await client.query<{ device_id: string; connectivity: string }>({
        name: 'device-state-flush',
        text: `WITH heard AS (
                 SELECT x.device_id, now() - make_interval(secs => x.age_s) AS seen_at,
                        nullif(x.reading_at, 'epoch'::timestamptz) AS reading_at
                   FROM unnest($2::uuid[], $3::float8[], $4::timestamptz[]) AS x (device_id, age_s, reading_at)
                  ORDER BY x.device_id
               ), written AS (
                 INSERT INTO device_states AS s (device_id, tenant_id, connectivity, last_seen_at, last_reading_at, changed_at)
                 SELECT device_id, $1::uuid, 'online', seen_at, reading_at, now() FROM heard
                 ON CONFLICT (device_id) DO UPDATE SET
                   last_seen_at = greatest(s.last_seen_at, excluded.last_seen_at),
                   last_reading_at = greatest(s.last_reading_at, excluded.last_reading_at),
                   -- Heard after it went offline (not before a newer "offline" status): it is back.
                   connectivity = CASE WHEN excluded.last_seen_at > s.changed_at THEN 'online' ELSE s.connectivity END,
                   changed_at = CASE WHEN s.connectivity <> 'online' AND excluded.last_seen_at > s.changed_at
                                     THEN now() ELSE s.changed_at END
                 WHERE s.connectivity <> 'online'
                    OR s.last_seen_at IS NULL OR excluded.last_seen_at > s.last_seen_at
                    OR excluded.last_reading_at > s.last_reading_at
                    OR (s.last_reading_at IS NULL AND excluded.last_reading_at IS NOT NULL)
                 RETURNING s.device_id, s.connectivity, s.changed_at
               )
               SELECT device_id, connectivity::text FROM written
                WHERE connectivity <> 'online' OR changed_at = now()`,
        values: [
          tenantId,
          devices,
          devices.map((d) => Math.max(0, now - (heard.get(d)?.seenAt ?? now)) / 1000),
          devices.map((d) => new Date(heard.get(d)?.readingAt ?? 0)),
        ],
      });
      const becameOnline: string[] = [];
      for (const row of changed.rows) {
        if (row.connectivity === 'online') becameOnline.push(row.device_id);
        else notOnline.add(row.device_id);
      }
      if (becameOnline.length === 0) continue;
      // A statement of its own: it sees a downtime committed while the upsert waited for the device's row.
      const ended = await client.query<{ device_id: string }>({
        name: 'device-state-downtime-end',
        // greatest(): an `offline` status committed while this transaction ran opened its downtime after now().
        text: `UPDATE device_downtimes SET ended_at = greatest(now(), started_at)
                WHERE device_id = ANY($1::uuid[]) AND ended_at IS NULL RETURNING device_id`,
        values: [becameOnline],
      });
      backOnline.push(...ended.rows.map((row) => ({ tenantId, deviceId: row.device_id })));
    }
    await client.query('COMMIT');
    return { notOnline, backOnline };
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release(failure);
  }
}
