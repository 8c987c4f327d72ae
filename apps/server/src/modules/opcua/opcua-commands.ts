import { withTenantClient, type TenantTransaction } from '@tidewatch/db';
import type pg from 'pg';
import type { EventBus } from '../../events/event-bus.ts';
import { conflict } from '../../http/app-error.ts';
import type { PendingCommand } from './binding-leases.ts';

/** A command is sent to an OPC UA device only if its binding carries it (a write or call the admin mapped). */
export async function requireOpcuaCommand(
  tx: TenantTransaction,
  deviceId: string,
  command: string,
): Promise<void> {
  const mapped = await tx.opcuaCommandMapping.findFirst({
    where: { command, binding: { deviceId } },
    select: { id: true },
  });
  if (!mapped)
    throw conflict(`The device's OPC UA binding has no command "${command}"; add it to the binding first`);
}

async function audit(
  client: pg.PoolClient,
  command: PendingCommand,
  action: string,
  details: Record<string, unknown>,
): Promise<void> {
  await client.query({
    name: 'opcua-command-audit',
    text: `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, resource_type, resource_id, details)
           VALUES ($1, 'system', NULL, $2, 'device_command', $3, $4::jsonb)`,
    values: [
      command.tenantId,
      action,
      command.id,
      JSON.stringify({ deviceId: command.deviceId, command: command.command, ...details }),
    ],
  });
}

/**
 * The command lifecycle as the OPC UA connector walks it: pending → delivered when this instance takes the
 * command to write or call (only one taker wins, so a command is carried once), then → acknowledged when the
 * server answered Good, or → failed with its status. Every change is audited and told to the bus.
 */
export class OpcuaCommandLifecycle {
  constructor(
    private readonly pool: pg.Pool,
    private readonly bus: EventBus,
  ) {}

  /** True when this caller took the command; false when another did, or it is no longer pending. */
  async take(command: PendingCommand): Promise<boolean> {
    const taken = await withTenantClient(
      this.pool,
      { tenantId: command.tenantId, userId: null, role: null },
      async (client) => {
        const updated = await client.query({
          name: 'opcua-command-take',
          text: `UPDATE device_commands SET state = 'delivered', delivered_at = now()
                  WHERE id = $1 AND state = 'pending' AND expires_at >= now()`,
          values: [command.id],
        });
        if (updated.rowCount !== 1) return false;
        await audit(client, command, 'command.deliver', { transport: 'opcua' });
        return true;
      },
    );
    if (taken) this.emit(command, 'delivered');
    return taken;
  }

  async settle(
    command: PendingCommand,
    outcome: { readonly ok: boolean; readonly result: Record<string, unknown>; readonly message?: string },
  ): Promise<void> {
    const state = outcome.ok ? 'acknowledged' : 'failed';
    const changed = await withTenantClient(
      this.pool,
      { tenantId: command.tenantId, userId: null, role: null },
      async (client) => {
        const updated = await client.query({
          name: 'opcua-command-settle',
          text: `UPDATE device_commands
                    SET state = $2::command_state, acknowledged_at = now(), result = $3::jsonb, failure_reason = $4
                  WHERE id = $1 AND state = 'delivered'`,
          values: [
            command.id,
            state,
            JSON.stringify(outcome.result),
            outcome.ok ? null : (outcome.message ?? 'the server refused the command'),
          ],
        });
        if (updated.rowCount !== 1) return false;
        await audit(client, command, outcome.ok ? 'command.acknowledge' : 'command.fail', {
          ...(outcome.message ? { message: outcome.message } : {}),
        });
        return true;
      },
    );
    if (changed) this.emit(command, state);
  }

  private emit(command: PendingCommand, state: 'delivered' | 'acknowledged' | 'failed'): void {
    this.bus.emit('command.changed', {
      tenantId: command.tenantId,
      deviceId: command.deviceId,
      commandId: command.id,
      state,
    });
  }
}
