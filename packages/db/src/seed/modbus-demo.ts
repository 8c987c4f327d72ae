import type pg from 'pg';

/**
 * A Modbus flow meter of the tenant, bound to a documentation address (192.0.2.0/24, never reachable) and left
 * disabled: the binding editor and the connector's state have something to show, and nothing is polled.
 */
export async function insertModbusDemo(
  client: pg.Client,
  tenantId: string,
  metricIds: ReadonlyMap<string, string>,
): Promise<void> {
  const metricId = metricIds.get('flow_lpm');
  if (metricId === undefined) return;
  // A database migrated only up to an earlier release (the upgrade tests seed one) has no Modbus yet.
  const modbus = await client.query<{ present: boolean }>(
    `SELECT to_regclass('modbus_bindings') IS NOT NULL AS present`,
  );
  if (!modbus.rows[0]?.present) return;
  const device = await client.query<{ id: string }>(
    `INSERT INTO devices (tenant_id, name, transport, disabled_at)
     VALUES ($1, 'Pump station flow meter (Modbus)', 'modbus', now()) RETURNING id`,
    [tenantId],
  );
  const deviceId = device.rows[0]?.id;
  const series = await client.query<{ id: number }>(
    'INSERT INTO series (tenant_id, device_id, metric_id) VALUES ($1, $2, $3) RETURNING id',
    [tenantId, deviceId, metricId],
  );
  const endpoint = await client.query<{ id: string }>(
    `INSERT INTO modbus_endpoints (tenant_id, host, port) VALUES ($1, '192.0.2.10', 502) RETURNING id`,
    [tenantId],
  );
  const binding = await client.query<{ id: string }>(
    `INSERT INTO modbus_bindings (tenant_id, device_id, endpoint_id, unit_id, enabled)
     VALUES ($1, $2, $3, 3, false) RETURNING id`,
    [tenantId, deviceId, endpoint.rows[0]?.id],
  );
  await client.query(
    `INSERT INTO modbus_registers (tenant_id, binding_id, series_id, function, address, data_type, word_order)
     VALUES ($1, $2, $3, 4, 0, 'float32', 'little')`,
    [tenantId, binding.rows[0]?.id, series.rows[0]?.id],
  );
}
