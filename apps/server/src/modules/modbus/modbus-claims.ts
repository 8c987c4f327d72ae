import type { ModbusDataType, ModbusOrder } from '@tidewatch/shared';
import type pg from 'pg';
import type { FailureDecision } from '../thingspeak/retry-policy.ts';

/** One mapped value of a device, as the poller reads and writes it. */
export interface RegisterMapping {
  readonly seriesId: number;
  readonly metricKey: string;
  readonly function: 1 | 2 | 3 | 4;
  readonly address: number;
  readonly type: ModbusDataType;
  readonly wordOrder: ModbusOrder;
  readonly byteOrder: ModbusOrder;
  readonly scale: number;
  readonly offset: number;
  readonly writable: boolean;
}

export interface HeldEndpoint {
  readonly endpointId: string;
  readonly tenantId: string;
  readonly host: string;
  readonly port: number;
  readonly consecutiveFailures: number;
}

/** A device this instance holds for one poll. */
export interface ClaimedBinding {
  readonly bindingId: string;
  readonly tenantId: string;
  readonly deviceId: string;
  readonly endpointId: string;
  readonly unitId: number;
  readonly timeoutMs: number;
  readonly claimToken: string;
  readonly registers: readonly RegisterMapping[];
}

/** A command taken for delivery (already marked delivered). */
export interface TakenCommand {
  readonly tenantId: string;
  readonly id: string;
  readonly deviceId: string;
  readonly command: string;
  readonly params: Record<string, unknown>;
  readonly endpointId: string;
  readonly unitId: number;
  readonly timeoutMs: number;
  readonly registers: readonly RegisterMapping[];
}

/**
 * The poller's side of the Modbus tables, through SECURITY DEFINER functions (it serves every tenant). An endpoint
 * is held by one instance under a lease; a binding's result is recorded only under the claim it belongs to.
 */
export class ModbusClaims {
  constructor(
    private readonly pool: pg.Pool,
    readonly holder: string,
  ) {}

  async claimEndpoints(limit: number, leaseMs: number): Promise<HeldEndpoint[]> {
    const { rows } = await this.pool.query<{
      endpoint_id: string;
      tenant_id: string;
      host: string;
      port: number;
      consecutive_failures: number;
    }>('SELECT * FROM modbus_claim_endpoints($1, $2, $3)', [this.holder, limit, leaseMs]);
    return rows.map((row) => ({
      endpointId: row.endpoint_id,
      tenantId: row.tenant_id,
      host: row.host,
      port: row.port,
      consecutiveFailures: row.consecutive_failures,
    }));
  }

  async release(): Promise<void> {
    await this.pool.query('SELECT modbus_release_endpoints($1)', [this.holder]);
  }

  async claimDue(limit: number, leaseMs: number): Promise<ClaimedBinding[]> {
    const { rows } = await this.pool.query<{
      binding_id: string;
      tenant_id: string;
      device_id: string;
      endpoint_id: string;
      unit_id: number;
      timeout_ms: number;
      claim_token: string;
      registers: RegisterMapping[];
    }>('SELECT * FROM modbus_claim_due_bindings($1, $2, $3)', [this.holder, limit, leaseMs]);
    return rows.map((row) => ({
      bindingId: row.binding_id,
      tenantId: row.tenant_id,
      deviceId: row.device_id,
      endpointId: row.endpoint_id,
      unitId: row.unit_id,
      timeoutMs: row.timeout_ms,
      claimToken: row.claim_token,
      registers: row.registers,
    }));
  }

  async takeCommands(limit: number): Promise<TakenCommand[]> {
    const { rows } = await this.pool.query<{
      tenant_id: string;
      id: string;
      device_id: string;
      command: string;
      params: Record<string, unknown>;
      endpoint_id: string;
      unit_id: number;
      timeout_ms: number;
      registers: RegisterMapping[];
    }>('SELECT * FROM modbus_take_commands($1, $2)', [this.holder, limit]);
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      id: row.id,
      deviceId: row.device_id,
      command: row.command,
      params: row.params,
      endpointId: row.endpoint_id,
      unitId: row.unit_id,
      timeoutMs: row.timeout_ms,
      registers: row.registers,
    }));
  }

  async endpointOk(endpointId: string): Promise<void> {
    await this.pool.query('SELECT modbus_endpoint_ok($1, $2)', [endpointId, this.holder]);
  }

  async endpointFailed(endpointId: string, error: string, decision: FailureDecision): Promise<void> {
    await this.pool.query('SELECT modbus_endpoint_failed($1, $2, $3, $4, $5, $6)', [
      endpointId,
      this.holder,
      error,
      decision.failures,
      decision.retryInMs,
      decision.circuitOpenMs,
    ]);
  }

  async pollSucceeded(claim: ClaimedBinding, readAt: Date, error: string | null): Promise<boolean> {
    const { rows } = await this.pool.query<{ recorded: boolean }>(
      'SELECT modbus_poll_succeeded($1, $2, $3, $4) AS recorded',
      [claim.bindingId, claim.claimToken, readAt, error],
    );
    return rows[0]?.recorded ?? false;
  }

  async pollFailed(claim: ClaimedBinding, error: string, retryInMs: number): Promise<void> {
    await this.pool.query('SELECT modbus_poll_failed($1, $2, $3, $4)', [
      claim.bindingId,
      claim.claimToken,
      error,
      retryInMs,
    ]);
  }

  async openCircuits(): Promise<number> {
    const { rows } = await this.pool.query<{ open: number }>('SELECT modbus_open_circuits() AS open');
    return rows[0]?.open ?? 0;
  }
}
