import type { TenantTransaction } from '@tidewatch/db';
import { modbusWriteParamsSchema, type ModbusBinding, type PutModbusBinding } from '@tidewatch/shared';
import { invalid, notFound } from '../../http/app-error.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { ensureSeries, findDevice } from '../devices/device.routes.ts';

interface BindingRow {
  id: string;
  device_id: string;
  host: string;
  port: number;
  unit_id: number;
  poll_interval_ms: number;
  timeout_ms: number;
  enabled: boolean;
  last_read_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  connected: boolean;
  endpoint_error: string | null;
  endpoint_error_at: Date | null;
  consecutive_failures: number;
  next_attempt_at: Date | null;
  circuit_open_until: Date | null;
  circuit_threshold_reached: boolean;
  registers: ModbusBinding['registers'];
}

/** Opens at this many consecutive failures; the poller's setting, shown as the circuit's state. */
export interface CircuitView {
  readonly threshold: number;
}

/** The device, checked to be a Modbus device of the caller's tenant (and zones). */
export async function modbusDevice(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<void> {
  const device = await findDevice(tx, ctx, id);
  if (device.transport !== 'modbus')
    throw invalid('id', 'Only a device of transport "modbus" has a Modbus binding');
}

/** The device's binding with its endpoint's state; row-level security keeps it within the tenant. */
export async function readModbusBinding(
  tx: TenantTransaction,
  deviceId: string,
  circuit: CircuitView,
): Promise<ModbusBinding> {
  const rows = await tx.$queryRaw<BindingRow[]>`
    SELECT b.id, b.device_id, host(e.host) AS host, e.port, b.unit_id::integer AS unit_id, b.poll_interval_ms,
           b.timeout_ms, b.enabled, b.last_read_at, b.last_error, b.last_error_at, e.connected,
           e.last_error AS endpoint_error, e.last_error_at AS endpoint_error_at, e.consecutive_failures,
           e.next_attempt_at, e.circuit_open_until,
           e.consecutive_failures >= ${circuit.threshold}::integer AS circuit_threshold_reached,
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                      'seriesId', r.series_id, 'metricKey', mt.key, 'function', r.function, 'address', r.address,
                      'type', r.data_type, 'wordOrder', r.word_order, 'byteOrder', r.byte_order,
                      'scale', r.scale, 'offset', r."offset", 'writable', r.writable)
                    ORDER BY r.function, r.address)
                       FROM modbus_registers r JOIN series s ON s.id = r.series_id
                       JOIN metrics mt ON mt.id = s.metric_id
                      WHERE r.binding_id = b.id), '[]'::jsonb) AS registers
      FROM modbus_bindings b JOIN modbus_endpoints e ON e.id = b.endpoint_id
     WHERE b.device_id = ${deviceId}::uuid`;
  const row = rows[0];
  if (!row) throw notFound('Modbus binding');
  const now = Date.now();
  const open = row.circuit_open_until !== null && row.circuit_open_until.getTime() > now;
  const failing = row.consecutive_failures > 0;
  // The device's own error (an exception) is newer than the endpoint's, or the endpoint is fine.
  const endpointNewer =
    failing &&
    (row.last_error_at === null || (row.endpoint_error_at?.getTime() ?? 0) > row.last_error_at.getTime());
  return {
    id: row.id,
    deviceId: row.device_id,
    host: row.host,
    port: row.port,
    unitId: row.unit_id,
    pollIntervalMs: row.poll_interval_ms,
    timeoutMs: row.timeout_ms,
    enabled: row.enabled,
    registers: row.registers,
    state: {
      connected: row.connected,
      lastReadAt: row.last_read_at?.toISOString() ?? null,
      lastError: endpointNewer ? row.endpoint_error : row.last_error,
      lastErrorAt: (endpointNewer ? row.endpoint_error_at : row.last_error_at)?.toISOString() ?? null,
      circuit: open ? 'open' : row.circuit_threshold_reached ? 'half_open' : 'closed',
      consecutiveFailures: row.consecutive_failures,
      nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    },
  };
}

/**
 * Binds the device to `body.host:port` (the tenant's endpoint for that address, made on first use) with its
 * register map; series are added for metrics the device does not report yet. Endpoints no binding uses any more
 * are removed.
 */
export async function saveModbusBinding(
  tx: TenantTransaction,
  ctx: TenantContext,
  deviceId: string,
  body: PutModbusBinding,
): Promise<void> {
  await ensureSeries(
    tx,
    ctx,
    deviceId,
    body.registers.map((r) => r.metricKey),
  );
  const series = await tx.series.findMany({ where: { deviceId }, include: { metric: true } });
  const seriesId = (key: string): number => series.find((s) => s.metric.key === key)?.id ?? 0;
  const [endpoint] = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO modbus_endpoints (tenant_id, host, port)
    VALUES (${ctx.tenantId}::uuid, ${body.host}::inet, ${body.port}::integer)
    ON CONFLICT (tenant_id, host, port) DO UPDATE SET port = EXCLUDED.port
    RETURNING id`;
  if (!endpoint) throw new Error('the endpoint was not saved');
  const [binding] = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO modbus_bindings (tenant_id, device_id, endpoint_id, unit_id, poll_interval_ms, timeout_ms, enabled)
    VALUES (${ctx.tenantId}::uuid, ${deviceId}::uuid, ${endpoint.id}::uuid, ${body.unitId}::smallint,
            ${body.pollIntervalMs}::integer, ${body.timeoutMs}::integer, ${body.enabled})
    ON CONFLICT (device_id) DO UPDATE
      SET endpoint_id = EXCLUDED.endpoint_id, unit_id = EXCLUDED.unit_id,
          poll_interval_ms = EXCLUDED.poll_interval_ms, timeout_ms = EXCLUDED.timeout_ms, enabled = EXCLUDED.enabled
    RETURNING id`;
  if (!binding) throw new Error('the binding was not saved');
  await tx.$executeRaw`DELETE FROM modbus_registers WHERE binding_id = ${binding.id}::uuid`;
  for (const r of body.registers) {
    await tx.$executeRaw`
      INSERT INTO modbus_registers (tenant_id, binding_id, series_id, function, address, data_type, word_order,
                                    byte_order, scale, "offset", writable)
      VALUES (${ctx.tenantId}::uuid, ${binding.id}::uuid, ${seriesId(r.metricKey)}::integer, ${r.function}::smallint,
              ${r.address}::integer, ${r.type}, ${r.wordOrder}, ${r.byteOrder}, ${r.scale}::float8,
              ${r.offset}::float8, ${r.writable})`;
  }
  await removeUnusedEndpoints(tx);
}

export async function deleteModbusBinding(tx: TenantTransaction, deviceId: string): Promise<void> {
  const deleted = await tx.$executeRaw`DELETE FROM modbus_bindings WHERE device_id = ${deviceId}::uuid`;
  if (deleted === 0) throw notFound('Modbus binding');
  await removeUnusedEndpoints(tx);
}

async function removeUnusedEndpoints(tx: TenantTransaction): Promise<void> {
  await tx.$executeRaw`
    DELETE FROM modbus_endpoints e WHERE NOT EXISTS (SELECT FROM modbus_bindings b WHERE b.endpoint_id = e.id)`;
}

/** A command for a Modbus device must name a writable register of its binding with a number to write. */
export async function checkModbusWrite(
  tx: TenantTransaction,
  deviceId: string,
  command: { readonly command: string; readonly params: Record<string, unknown> },
): Promise<void> {
  const params = modbusWriteParamsSchema.safeParse(command.params);
  if (command.command !== 'write' || !params.success)
    throw invalid('params', 'A Modbus device takes the command "write" with params { metricKey, value }');
  const writable = await tx.$queryRaw<{ found: boolean }[]>`
    SELECT EXISTS (
      SELECT FROM modbus_registers r
        JOIN modbus_bindings b ON b.id = r.binding_id
        JOIN series s ON s.id = r.series_id
        JOIN metrics m ON m.id = s.metric_id
       WHERE b.device_id = ${deviceId}::uuid AND r.writable AND m.key = ${params.data.metricKey}) AS found`;
  if (!writable[0]?.found)
    throw invalid('params.metricKey', `${params.data.metricKey} is not a writable register of this device`);
}
