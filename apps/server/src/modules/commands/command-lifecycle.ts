import { withTenantClient } from '@tidewatch/db';
import type pg from 'pg';
import type { EventBus } from '../../events/event-bus.ts';

/** How a delivered command ended, as the transport that carried it learned. */
export interface CommandOutcome {
  readonly state: 'acknowledged' | 'failed';
  readonly result?: unknown;
  readonly failureReason?: string;
}

/**
 * Settles a delivered (or pending) command once: acknowledged or failed, audited, and told to the bus. Answers
 * false when the command is not open any more (settled, expired, or not this device's), and then changes nothing.
 */
export async function settleCommand(
  pool: pg.Pool,
  bus: EventBus,
  command: { readonly tenantId: string; readonly deviceId: string; readonly id: string },
  outcome: CommandOutcome,
  actor: 'device' | 'system',
): Promise<boolean> {
  const changed = await withTenantClient(
    pool,
    { tenantId: command.tenantId, userId: null, role: null },
    async (client) => {
      const updated = await client.query<{ command: string }>(
        `UPDATE device_commands
            SET state = $3::command_state, acknowledged_at = now(), result = $4::jsonb, failure_reason = $5,
                delivered_at = coalesce(delivered_at, now())
          WHERE id = $1 AND device_id = $2 AND state IN ('pending', 'delivered') AND expires_at >= now()
          RETURNING command`,
        [
          command.id,
          command.deviceId,
          outcome.state,
          outcome.result === undefined ? null : JSON.stringify(outcome.result),
          outcome.state === 'failed' ? (outcome.failureReason ?? 'the device reported an error') : null,
        ],
      );
      if (updated.rowCount === 0) return false;
      await client.query(
        `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, resource_type, resource_id, details)
         VALUES ($1, $2::actor_type, $3, $4, 'device_command', $5, $6::jsonb)`,
        [
          command.tenantId,
          actor,
          actor === 'device' ? command.deviceId : null,
          outcome.state === 'acknowledged' ? 'command.acknowledge' : 'command.fail',
          command.id,
          JSON.stringify({
            deviceId: command.deviceId,
            command: updated.rows[0]?.command,
            ...(outcome.failureReason ? { message: outcome.failureReason } : {}),
          }),
        ],
      );
      return true;
    },
  );
  if (changed)
    bus.emit('command.changed', {
      tenantId: command.tenantId,
      deviceId: command.deviceId,
      commandId: command.id,
      state: outcome.state,
    });
  return changed;
}
