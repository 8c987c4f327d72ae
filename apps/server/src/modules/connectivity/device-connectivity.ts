import { withTenantClient } from '@tidewatch/db';
import type pg from 'pg';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';

export type Connectivity = 'online' | 'offline';

/**
 * Whether each device is online: what devices say on their status topic (their last will says "offline" when the
 * connection drops), and silence: a device heard from no more than `offlineAfterMs` ago is offline, with a
 * downtime record that the next reading (or "online") closes. Silence is judged `stateLagMs` later than that,
 * since an instance writes what it heard only every few seconds (DeviceStateBuffer).
 */
export class DeviceConnectivity {
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly offlineAfterMs: number,
    private readonly stateLagMs: number,
  ) {}

  /** Records what a device said of itself; tells the bus only when its state actually changed. */
  async report(tenantId: string, deviceId: string, status: Connectivity, reason: string): Promise<void> {
    const previous = await withTenantClient(
      this.pool,
      { tenantId, userId: null, role: null },
      async (client) => {
        // The state before, read apart: a data-modifying statement cannot report the row it replaced.
        const before = await client.query<{ connectivity: string }>({
          name: 'connectivity-before',
          text: 'SELECT connectivity FROM device_states WHERE device_id = $1 FOR UPDATE',
          values: [deviceId],
        });
        await client.query({
          name: 'connectivity-report',
          text: `INSERT INTO device_states AS s (device_id, tenant_id, connectivity, last_seen_at, changed_at)
                 VALUES ($1, $2, $3::device_connectivity, now(), now())
                 ON CONFLICT (device_id) DO UPDATE SET
                   connectivity = excluded.connectivity,
                   last_seen_at = now(),
                   changed_at = CASE WHEN s.connectivity = excluded.connectivity THEN s.changed_at ELSE now() END`,
          values: [deviceId, tenantId, status],
        });
        await client.query(
          status === 'offline'
            ? {
                name: 'connectivity-downtime-open',
                text: `INSERT INTO device_downtimes (tenant_id, device_id, started_at, reason) VALUES ($1, $2, now(), $3)
                     ON CONFLICT (device_id) WHERE ended_at IS NULL DO NOTHING`,
                values: [tenantId, deviceId, reason],
              }
            : {
                name: 'connectivity-downtime-close',
                // greatest(): a downtime opened by a transaction that began after this one starts after now().
                text: `UPDATE device_downtimes SET ended_at = greatest(now(), started_at)
                        WHERE device_id = $1 AND ended_at IS NULL`,
                values: [deviceId],
              },
        );
        return before.rows[0]?.connectivity ?? null;
      },
    );
    if (previous !== status) {
      this.bus.emit('device.connectivity', { tenantId, deviceId, connectivity: status, at: Date.now() });
    }
  }

  /** Marks silent devices offline now; several instances may run it, each change is reported once. */
  async sweepSilent(now = Date.now()): Promise<number> {
    const { rows } = await this.pool.query<{ tenant_id: string; device_id: string }>(
      'SELECT tenant_id, device_id FROM device_mark_silent_offline($1)',
      [new Date(now - this.offlineAfterMs - this.stateLagMs)],
    );
    for (const row of rows) {
      this.bus.emit('device.connectivity', {
        tenantId: row.tenant_id,
        deviceId: row.device_id,
        connectivity: 'offline',
        at: now,
      });
    }
    return rows.length;
  }

  /** Sweeps on a timer, at a quarter of the silence limit (at most every 30 s). */
  start(): void {
    const everyMs = Math.min(30_000, Math.max(1000, this.offlineAfterMs / 4));
    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweepSilent()
        .then((count) => {
          if (count > 0) this.log.info({ count }, 'silent devices marked offline');
        })
        .catch((error: unknown) => {
          this.log.warn({ err: error }, 'the silent-device sweep failed; it runs again shortly');
        })
        .finally(() => {
          this.sweeping = undefined;
        });
    }, everyMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.sweeping;
  }
}
