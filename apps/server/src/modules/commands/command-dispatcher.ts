import { withTenantClient } from '@tidewatch/db';
import { commandAckSchema, type CommandMessage, type CommandState } from '@tidewatch/shared';
import type pg from 'pg';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { commandTopic } from '../mqtt/device-topics.ts';

/** Whatever carries a message to devices: the embedded broker or the connection to an external one. */
export interface DownlinkPublisher {
  /** Resolves once the broker has taken the message (QoS 1). */
  publish(topic: string, payload: Buffer): Promise<void>;
}

interface PendingCommand {
  readonly tenant_id: string;
  readonly id: string;
  readonly device_id: string;
  readonly command: string;
  readonly params: Record<string, unknown>;
  readonly expires_at: Date;
}

const BACKLOG_BATCH = 200;

/**
 * Moves downlink commands along: pending → delivered when the broker has taken the message for the device
 * (QoS 1, so it reaches the device when it next connects), → acknowledged or failed when the device answers on
 * `commands/ack`, → expired when nobody answered in time. Every change is audited and told to the bus.
 * A command may be published twice (a restart between publish and the delivered mark, or two instances
 * sweeping at once); devices recognise a repeat by its id.
 */
export class CommandDispatcher {
  private publisher: DownlinkPublisher | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  /** Starts publishing through `publisher`: new commands at once, the backlog on a timer. */
  start(publisher: DownlinkPublisher, sweepEveryMs: number): void {
    this.publisher = publisher;
    this.unsubscribe.push(
      this.bus.on('command.changed', (event) => {
        if (event.state === 'pending') this.publishBacklog(event.deviceId);
      }),
      this.bus.on('device.connectivity', (event) => {
        if (event.connectivity === 'online') this.publishBacklog(event.deviceId);
      }),
    );
    this.sweepTimer = setInterval(() => {
      this.sweep();
    }, sweepEveryMs);
    this.sweepTimer.unref();
    this.sweep();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const off of this.unsubscribe.splice(0)) off();
    await this.sweeping;
    this.publisher = undefined;
  }

  /** A device's answer. Unknown ids, other devices' commands and settled commands are ignored (and logged). */
  async acknowledge(tenantId: string, deviceId: string, body: Buffer): Promise<'recorded' | 'ignored'> {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      json = undefined;
    }
    const parsed = commandAckSchema.safeParse(json);
    if (!parsed.success) {
      this.log.warn({ deviceId }, 'ignored a malformed command acknowledgement');
      return 'ignored';
    }
    const ack = parsed.data;
    const state: CommandState = ack.status === 'ok' ? 'acknowledged' : 'failed';
    const changed = await withTenantClient(
      this.pool,
      { tenantId, userId: null, role: null },
      async (client) => {
        const updated = await client.query<{ command: string }>({
          name: 'command-ack',
          text: `UPDATE device_commands
                  SET state = $3::command_state, acknowledged_at = now(), result = $4::jsonb,
                      failure_reason = $5, delivered_at = coalesce(delivered_at, now())
                WHERE id = $1 AND device_id = $2 AND state IN ('pending', 'delivered')
                RETURNING command`,
          values: [
            ack.id,
            deviceId,
            state,
            ack.result === undefined ? null : JSON.stringify(ack.result),
            state === 'failed' ? (ack.message ?? 'the device reported an error') : null,
          ],
        });
        if (updated.rowCount === 0) return false;
        await audit(
          client,
          tenantId,
          'device',
          deviceId,
          state === 'acknowledged' ? 'command.acknowledge' : 'command.fail',
          ack.id,
          {
            deviceId,
            command: updated.rows[0]?.command,
            ...(ack.message ? { message: ack.message } : {}),
          },
        );
        return true;
      },
    );
    if (!changed) {
      this.log.warn(
        { deviceId, commandId: ack.id },
        'ignored an acknowledgement for no open command of this device',
      );
      return 'ignored';
    }
    this.bus.emit('command.changed', { tenantId, deviceId, commandId: ack.id, state });
    return 'recorded';
  }

  /** Expires what is overdue and publishes what is still pending. One sweep at a time. */
  private sweep(): void {
    if (this.sweeping) return;
    this.sweeping = this.runSweep()
      .catch((error: unknown) => {
        this.log.warn({ err: error }, 'the command sweep failed; it runs again shortly');
      })
      .finally(() => {
        this.sweeping = undefined;
      });
  }

  private async runSweep(): Promise<void> {
    const expired = await this.pool.query<{ tenant_id: string; id: string; device_id: string }>(
      'SELECT tenant_id, id, device_id FROM device_commands_expire()',
    );
    for (const row of expired.rows) {
      this.bus.emit('command.changed', {
        tenantId: row.tenant_id,
        deviceId: row.device_id,
        commandId: row.id,
        state: 'expired',
      });
    }
    await this.publishPending(null);
  }

  private publishBacklog(deviceId: string): void {
    this.publishPending(deviceId).catch((error: unknown) => {
      this.log.warn({ err: error, deviceId }, 'could not publish pending commands; the sweep retries');
    });
  }

  private async publishPending(deviceId: string | null): Promise<void> {
    const { rows } = await this.pool.query<PendingCommand>(
      'SELECT tenant_id, id, device_id, command, params, expires_at FROM device_commands_pending($1, $2)',
      [deviceId, BACKLOG_BATCH],
    );
    for (const row of rows) await this.publishOne(row);
  }

  private async publishOne(row: PendingCommand): Promise<void> {
    const publisher = this.publisher;
    if (!publisher) return;
    const message: CommandMessage = {
      id: row.id,
      command: row.command,
      params: row.params,
      expiresAt: row.expires_at.toISOString(),
    };
    await publisher.publish(commandTopic(row.device_id), Buffer.from(JSON.stringify(message)));
    const delivered = await withTenantClient(
      this.pool,
      { tenantId: row.tenant_id, userId: null, role: null },
      async (client) => {
        const updated = await client.query({
          name: 'command-delivered',
          text: `UPDATE device_commands SET state = 'delivered', delivered_at = now()
                WHERE id = $1 AND state = 'pending'`,
          values: [row.id],
        });
        if (updated.rowCount === 0) return false;
        await audit(client, row.tenant_id, 'system', null, 'command.deliver', row.id, {
          deviceId: row.device_id,
          command: row.command,
        });
        return true;
      },
    );
    if (delivered) {
      this.bus.emit('command.changed', {
        tenantId: row.tenant_id,
        deviceId: row.device_id,
        commandId: row.id,
        state: 'delivered',
      });
    }
  }
}

async function audit(
  client: pg.PoolClient,
  tenantId: string,
  actorType: 'device' | 'system',
  actorId: string | null,
  action: string,
  commandId: string,
  details: Record<string, unknown>,
): Promise<void> {
  await client.query({
    name: 'command-audit',
    text: `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, resource_type, resource_id, details)
           VALUES ($1, $2::actor_type, $3, $4, 'device_command', $5, $6::jsonb)`,
    values: [tenantId, actorType, actorId, action, commandId, JSON.stringify(details)],
  });
}
