import { withTenant, type Database } from '@tidewatch/db';
import type { ModbusPreview, PutModbusBinding } from '@tidewatch/shared';
import { AppError, conflict, invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import type { DeviceDirectory } from '../ingest/device-directory.ts';
import type { IngestDevice, SeriesInfo } from '../ingest/ingest-device.ts';
import { normalizeReadings, type TimeWindow } from '../ingest/normalize-readings.ts';
import { EndpointConnection, ModbusRequestError } from './endpoint-connection.ts';
import { modbusDevice } from './modbus-binding.ts';
import type { RegisterMapping } from './modbus-claims.ts';
import { readRegister } from './register-io.ts';

export interface ModbusPreviewDeps {
  readonly db: Database;
  readonly directory: DeviceDirectory;
  readonly window: TimeWindow;
  readonly allowed: (host: string) => boolean;
  readonly connectTimeoutMs: number;
}

/**
 * Reads the registers of `request` once, over a connection of its own, and shows what a binding with this map
 * would store of each: the words read, `decoded * scale + offset`, the value after the series' calibration, and
 * why ingest would refuse one. Nothing is stored and the binding is not changed.
 */
export async function previewModbus(
  deps: ModbusPreviewDeps,
  ctx: TenantContext,
  deviceId: string,
  request: PutModbusBinding,
): Promise<ModbusPreview> {
  const series = await withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await modbusDevice(tx, ctx, deviceId);
    const keys = request.registers.map((r) => r.metricKey);
    const metrics = await tx.metric.findMany({
      where: { key: { in: keys } },
      select: { key: true, validMin: true, validMax: true },
    });
    const missing = keys.filter((key) => !metrics.some((m) => m.key === key));
    if (missing.length) throw invalid('registers', `Unknown metrics: ${missing.join(', ')}`);
    return new Map(
      metrics.map((m, i): [string, SeriesInfo] => [
        m.key,
        { id: -(i + 1), key: m.key, min: m.validMin, max: m.validMax },
      ]),
    );
  });
  if (!deps.allowed(request.host))
    throw conflict('The server may not connect to this address (MODBUS_ALLOW_NETWORKS)');
  const known = await deps.directory.get(deviceId);
  if (!known) throw notFound('Device');
  const device: IngestDevice = { ...known, seriesByKey: new Map([...series, ...known.seriesByKey]) };
  const connection = new EndpointConnection(request.host, request.port, deps.connectTimeoutMs);
  const readAt = Date.now();
  try {
    const values: ModbusPreview['values'] = [];
    for (const register of request.registers) {
      const mapping: RegisterMapping = { ...register, seriesId: 0 };
      try {
        const reading = await connection.exclusive(() =>
          readRegister(connection, request.unitId, request.timeoutMs, mapping),
        );
        const { readings, rejections } = normalizeReadings(
          device,
          [{ ts: readAt, values: { [register.metricKey]: reading.value } }],
          Date.now(),
          deps.window,
        );
        const finite = Number.isFinite(reading.value);
        values.push({
          metricKey: register.metricKey,
          raw: reading.raw,
          mapped: finite ? reading.value : null,
          stored: readings[0]?.value ?? null,
          rejected: finite ? (rejections[0]?.reason ?? null) : 'not_a_number',
          error: null,
        });
      } catch (error) {
        if (!(error instanceof ModbusRequestError)) throw error;
        if (error.kind !== 'exception')
          throw new AppError(
            error.kind === 'timeout' ? 'gateway_timeout' : 'bad_gateway',
            `The Modbus endpoint ${error.kind === 'timeout' ? 'did not answer in time' : 'cannot be reached'}`,
          );
        values.push({
          metricKey: register.metricKey,
          raw: null,
          mapped: null,
          stored: null,
          rejected: 'exception',
          error: error.message,
        });
      }
    }
    return { readAt: new Date(readAt).toISOString(), values };
  } finally {
    await connection.close();
  }
}
