import type { CommandMessage } from '@tidewatch/shared';
import { withTenantClient } from '@tidewatch/db';
import type pg from 'pg';
import type { EventBus } from '../../events/event-bus.ts';

/** Commands handed out to one HTTP device per fetch at most. */
const BATCH = 20;

interface Waiter {
  readonly wake: () => void;
  /** The device started another wait (it reconnected): this one ends with nothing. */
  readonly supersede: () => void;
}

/**
 * HTTP devices waiting for commands on this instance. A command queued here wakes its device at once; one queued
 * on another instance is found by one query for all waiting devices every `recheckMs`. One wait per device: a new
 * one (the device reconnected) ends the older.
 */
export class CommandWaiters {
  private readonly waiting = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly bus: EventBus,
    private readonly maxWaiting: number,
    private readonly recheckMs = 1000,
  ) {
    bus.on('command.changed', (event) => {
      if (event.state === 'pending') this.waiting.get(event.deviceId)?.wake();
    });
  }

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Hands out the device's pending commands, marking each delivered in the same statement, so each is handed out
   * exactly once; with none pending, waits up to `waitMs` for one. Answers null when too many devices wait.
   */
  async fetch(
    device: { readonly id: string; readonly tenantId: string },
    waitMs: number,
    closed: () => boolean,
  ): Promise<CommandMessage[] | null> {
    const first = await this.take(device);
    if (first.length > 0 || waitMs <= 0) return first;
    if (!this.waiting.has(device.id) && this.waiting.size >= this.maxWaiting) return null;
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && !closed()) {
      const woken = await this.wait(device.id, deadline - Date.now());
      if (woken === 'superseded') return [];
      const taken = await this.take(device);
      if (taken.length > 0) return taken;
    }
    return [];
  }

  private wait(deviceId: string, ms: number): Promise<'woken' | 'timeout' | 'superseded'> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const finish = (why: 'woken' | 'timeout' | 'superseded') => {
        clearTimeout(timer);
        if (this.waiting.get(deviceId) === waiter) this.waiting.delete(deviceId);
        resolve(why);
      };
      const waiter: Waiter = {
        wake: () => {
          finish('woken');
        },
        supersede: () => {
          finish('superseded');
        },
      };
      this.waiting.get(deviceId)?.supersede();
      this.waiting.set(deviceId, waiter);
      // Woken at least every few seconds, to notice a closed connection or the end of the wait.
      timer = setTimeout(
        () => {
          finish('timeout');
        },
        Math.min(ms, 5000),
      );
      this.ensureRecheck();
    });
  }

  /** Commands queued on other instances: one query for every device waiting here. */
  private ensureRecheck(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.waiting.size === 0) {
        clearInterval(this.timer ?? undefined);
        this.timer = null;
        return;
      }
      this.pool
        .query<{ device_id: string }>('SELECT device_commands_waiting($1::uuid[]) AS device_id', [
          [...this.waiting.keys()],
        ])
        .then(({ rows }) => {
          for (const row of rows) this.waiting.get(row.device_id)?.wake();
        })
        .catch(() => undefined);
    }, this.recheckMs);
    this.timer.unref();
  }

  private async take(device: { readonly id: string; readonly tenantId: string }): Promise<CommandMessage[]> {
    const rows = await withTenantClient(
      this.pool,
      { tenantId: device.tenantId, userId: null, role: null },
      async (client) => {
        const taken = await client.query<{
          id: string;
          command: string;
          params: Record<string, unknown>;
          expires_at: Date;
          requested_at: Date;
        }>(
          `UPDATE device_commands c SET state = 'delivered', delivered_at = now()
            WHERE c.id IN (SELECT id FROM device_commands
                            WHERE device_id = $1 AND state = 'pending' AND expires_at >= now()
                            ORDER BY requested_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING c.id, c.command, c.params, c.expires_at, c.requested_at`,
          [device.id, BATCH],
        );
        for (const row of taken.rows)
          await client.query(
            `INSERT INTO audit_log (tenant_id, actor_type, action, resource_type, resource_id, details)
             VALUES ($1, 'system', 'command.deliver', 'device_command', $2, $3::jsonb)`,
            [
              device.tenantId,
              row.id,
              JSON.stringify({ deviceId: device.id, command: row.command, transport: 'http' }),
            ],
          );
        return taken.rows;
      },
    );
    for (const row of rows)
      this.bus.emit('command.changed', {
        tenantId: device.tenantId,
        deviceId: device.id,
        commandId: row.id,
        state: 'delivered',
      });
    return rows
      .sort((a, b) => a.requested_at.getTime() - b.requested_at.getTime())
      .map((row) => ({
        id: row.id,
        command: row.command,
        params: row.params,
        expiresAt: row.expires_at.toISOString(),
      }));
  }
}
