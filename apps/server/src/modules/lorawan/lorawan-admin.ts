import { withTenant, type Database, type TenantTransaction } from '@tidewatch/db';
import type {
  createLorawanApplicationSchema,
  LorawanApplication,
  LorawanDevice,
  LorawanPreview,
  lorawanPreviewRequestSchema,
  putLorawanDeviceSchema,
  updateLorawanApplicationSchema,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { conflict, invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { isUniqueViolation } from '../database-errors.ts';
import { ensureSeries, findDevice } from '../devices/device.routes.ts';
import type { DeviceDirectory } from '../ingest/device-directory.ts';
import type { IngestDevice, SeriesInfo } from '../ingest/ingest-device.ts';
import { normalizeReadings, type TimeWindow } from '../ingest/normalize-readings.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { lorawanPasswordContext } from '../secrets/stored-secrets.ts';
import { mapPayloadValue, valueAt } from './payload-values.ts';

export interface LorawanAdminDeps {
  readonly db: Database;
  readonly secrets: SecretBox;
  readonly directory: DeviceDirectory;
  readonly window: TimeWindow;
}

type CreateApplication = z.infer<typeof createLorawanApplicationSchema>;
type UpdateApplication = z.infer<typeof updateLorawanApplicationSchema>;
type PutDevice = z.infer<typeof putLorawanDeviceSchema>;
type PreviewRequest = z.infer<typeof lorawanPreviewRequestSchema>;

interface ApplicationRow {
  id: string;
  name: string;
  format: 'chirpstack' | 'tts';
  broker_url: string;
  username: string | null;
  has_password: boolean;
  network_application_id: string;
  enabled: boolean;
  devices: number;
  claimed: boolean;
  connected: boolean;
  connected_at: Date | null;
  last_message_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  consecutive_failures: number;
  circuit_open_until: Date | null;
}

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

const query = <T>(tx: TenantTransaction, sql: string, ...values: unknown[]): Promise<T[]> =>
  tx.$queryRawUnsafe<T[]>(sql, ...values);

const APPLICATION_SELECT = `
  SELECT a.id, a.name, a.format, a.broker_url, a.username, a.password IS NOT NULL AS has_password,
         a.network_application_id, a.enabled,
         (SELECT count(*)::int FROM lorawan_devices l WHERE l.application_id = a.id) AS devices,
         coalesce(a.lease_until > now(), false) AS claimed, a.connected AND coalesce(a.lease_until > now(), false) AS connected,
         a.connected_at, a.last_message_at, a.last_error, a.last_error_at, a.consecutive_failures,
         a.circuit_open_until
    FROM lorawan_applications a`;

function toApplication(row: ApplicationRow): LorawanApplication {
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    brokerUrl: row.broker_url,
    username: row.username,
    hasPassword: row.has_password,
    networkApplicationId: row.network_application_id,
    enabled: row.enabled,
    devices: row.devices,
    state: {
      claimed: row.claimed,
      connected: row.connected,
      connectedAt: iso(row.connected_at),
      lastMessageAt: iso(row.last_message_at),
      lastError: row.last_error,
      lastErrorAt: iso(row.last_error_at),
      consecutiveFailures: row.consecutive_failures,
      circuitOpenUntil: iso(row.circuit_open_until),
    },
  };
}

async function readApplication(tx: TenantTransaction, id: string): Promise<LorawanApplication> {
  const [row] = await query<ApplicationRow>(tx, `${APPLICATION_SELECT} WHERE a.id = $1::uuid`, id);
  if (!row) throw notFound('LoRaWAN application');
  return toApplication(row);
}

const duplicate = (error: unknown): never => {
  throw isUniqueViolation(error) ? conflict('This broker and application are bound already') : error;
};

export function listApplications(
  { db }: LorawanAdminDeps,
  ctx: TenantContext,
): Promise<LorawanApplication[]> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) =>
    (await query<ApplicationRow>(tx, `${APPLICATION_SELECT} ORDER BY a.name, a.id`)).map(toApplication),
  );
}

export function getApplication(
  { db }: LorawanAdminDeps,
  ctx: TenantContext,
  id: string,
): Promise<LorawanApplication> {
  return withTenant(db.prisma, dbContext(ctx), (tx) => readApplication(tx, id));
}

export function createApplication(
  { db, secrets }: LorawanAdminDeps,
  ctx: TenantContext,
  body: CreateApplication,
): Promise<LorawanApplication> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const [created] = await query<{ id: string }>(
      tx,
      `INSERT INTO lorawan_applications (tenant_id, name, format, broker_url, username, network_application_id, enabled)
       VALUES ($1::uuid, $2, $3, $4, $5, $6, $7) RETURNING id`,
      ctx.tenantId,
      body.name,
      body.format,
      body.brokerUrl,
      body.username,
      body.networkApplicationId,
      body.enabled,
    ).catch(duplicate);
    if (!created) throw new Error('the application was not created');
    if (body.password !== null) {
      // Sealed bound to the row, so it is sealed once the row has its id.
      await query(
        tx,
        'UPDATE lorawan_applications SET password = $2 WHERE id = $1::uuid',
        created.id,
        secrets.seal(body.password, lorawanPasswordContext(ctx.tenantId, created.id)),
      );
    }
    await recordAudit(tx, ctx, {
      action: 'lorawan.application.create',
      resourceType: 'lorawan_application',
      resourceId: created.id,
      details: { ...body, password: body.password === null ? null : 'set' },
    });
    return readApplication(tx, created.id);
  });
}

export function updateApplication(
  { db, secrets }: LorawanAdminDeps,
  ctx: TenantContext,
  id: string,
  body: UpdateApplication,
): Promise<LorawanApplication> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    await readApplication(tx, id);
    const password =
      body.password === undefined
        ? undefined
        : body.password && secrets.seal(body.password, lorawanPasswordContext(ctx.tenantId, id));
    // Any change of the connection makes its holder connect again.
    await query(
      tx,
      `UPDATE lorawan_applications
          SET name = coalesce($2, name), broker_url = coalesce($3, broker_url),
              username = CASE WHEN $4::boolean THEN $5 ELSE username END,
              password = CASE WHEN $6::boolean THEN $7 ELSE password END,
              network_application_id = coalesce($8, network_application_id),
              enabled = coalesce($9, enabled), config_version = config_version + 1,
              consecutive_failures = 0, circuit_open_until = NULL
        WHERE id = $1::uuid`,
      id,
      body.name ?? null,
      body.brokerUrl ?? null,
      body.username !== undefined,
      body.username ?? null,
      password !== undefined,
      password ?? null,
      body.networkApplicationId ?? null,
      body.enabled ?? null,
    ).catch(duplicate);
    await recordAudit(tx, ctx, {
      action: 'lorawan.application.update',
      resourceType: 'lorawan_application',
      resourceId: id,
      details: {
        ...body,
        ...(body.password === undefined ? {} : { password: body.password ? 'set' : null }),
      },
    });
    return readApplication(tx, id);
  });
}

export function deleteApplication({ db }: LorawanAdminDeps, ctx: TenantContext, id: string): Promise<void> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const deleted = await tx.$executeRawUnsafe('DELETE FROM lorawan_applications WHERE id = $1::uuid', id);
    if (deleted === 0) throw notFound('LoRaWAN application');
    await recordAudit(tx, ctx, {
      action: 'lorawan.application.delete',
      resourceType: 'lorawan_application',
      resourceId: id,
    });
  });
}

interface UplinkRow {
  dev_eui: string;
  device_id: string | null;
  f_cnt: string;
  f_port: number | null;
  time: Date;
  received_at: Date;
  payload: unknown;
  outcome: 'stored';
  stored: Record<string, number> | null;
}

/** The newest uplinks of the application, known devices or not: the live view of what arrives. */
export function recentUplinks({ db }: LorawanAdminDeps, ctx: TenantContext, id: string, limit: number) {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    await readApplication(tx, id);
    const rows = await query<UplinkRow>(
      tx,
      `SELECT dev_eui, device_id, f_cnt::text, f_port, time, received_at, payload, outcome, stored
         FROM lorawan_uplinks WHERE application_id = $1::uuid ORDER BY received_at DESC, id DESC LIMIT $2`,
      id,
      limit,
    );
    return {
      items: rows.map((row) => ({
        devEui: row.dev_eui,
        deviceId: row.device_id,
        fCnt: Number(row.f_cnt),
        fPort: row.f_port,
        time: row.time.toISOString(),
        receivedAt: row.received_at.toISOString(),
        payload: row.payload ?? null,
        outcome: row.outcome,
        stored: row.stored,
      })),
    };
  });
}

interface DeviceRow {
  device_id: string;
  application_id: string;
  dev_eui: string;
  network_device_id: string | null;
  f_port: number;
  confirmed: boolean;
  dev_addr: string | null;
  joined_at: Date | null;
  battery_level: number | null;
  external_power: boolean | null;
  margin: number | null;
  status_at: Date | null;
  last_f_cnt: string | null;
  last_uplink_at: Date | null;
  mappings: LorawanDevice['mappings'];
}

async function readDevice(tx: TenantTransaction, deviceId: string): Promise<LorawanDevice> {
  const [row] = await query<DeviceRow>(
    tx,
    `SELECT l.*, l.last_f_cnt::text AS last_f_cnt,
            coalesce((SELECT jsonb_agg(jsonb_build_object('path', m.path, 'seriesId', m.series_id, 'metricKey', mt.key,
                                                          'scale', m.scale, 'offset', m."offset") ORDER BY m.path)
                        FROM lorawan_metric_mappings m JOIN series s ON s.id = m.series_id
                        JOIN metrics mt ON mt.id = s.metric_id
                       WHERE m.device_id = l.device_id), '[]'::jsonb) AS mappings
       FROM lorawan_devices l WHERE l.device_id = $1::uuid`,
    deviceId,
  );
  if (!row) throw notFound('LoRaWAN binding');
  return {
    deviceId: row.device_id,
    lorawanApplicationId: row.application_id,
    devEui: row.dev_eui,
    networkDeviceId: row.network_device_id,
    fPort: row.f_port,
    confirmed: row.confirmed,
    mappings: row.mappings,
    state: {
      devAddr: row.dev_addr,
      joinedAt: iso(row.joined_at),
      batteryLevel: row.battery_level,
      externalPower: row.external_power,
      margin: row.margin,
      statusAt: iso(row.status_at),
      lastFCnt: row.last_f_cnt === null ? null : Number(row.last_f_cnt),
      lastUplinkAt: iso(row.last_uplink_at),
    },
  };
}

async function lorawanDevice(tx: TenantTransaction, ctx: TenantContext, deviceId: string): Promise<void> {
  const device = await findDevice(tx, ctx, deviceId);
  if (device.transport !== 'lorawan')
    throw invalid('id', 'Only a device of transport "lorawan" has a LoRaWAN binding');
}

async function applicationOf(tx: TenantTransaction, id: string): Promise<void> {
  const [row] = await query<{ id: string }>(
    tx,
    'SELECT id FROM lorawan_applications WHERE id = $1::uuid',
    id,
  );
  if (!row) throw invalid('lorawanApplicationId', 'No such LoRaWAN application');
}

export function getDevice(
  { db }: LorawanAdminDeps,
  ctx: TenantContext,
  deviceId: string,
): Promise<LorawanDevice> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    await findDevice(tx, ctx, deviceId);
    return readDevice(tx, deviceId);
  });
}

/** Maps the device to an application by DevEUI, with its payload paths → metrics (series added as needed). */
export async function putDevice(
  { db, directory }: LorawanAdminDeps,
  ctx: TenantContext,
  deviceId: string,
  body: PutDevice,
): Promise<LorawanDevice> {
  const result = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
    await lorawanDevice(tx, ctx, deviceId);
    await applicationOf(tx, body.lorawanApplicationId);
    await ensureSeries(
      tx,
      ctx,
      deviceId,
      body.mappings.map((m) => m.metricKey),
    );
    const series = await tx.series.findMany({ where: { deviceId }, include: { metric: true } });
    const seriesId = (key: string): number => series.find((s) => s.metric.key === key)?.id ?? 0;
    const [previous] = await query<{ application_id: string }>(
      tx,
      'SELECT application_id FROM lorawan_devices WHERE device_id = $1::uuid',
      deviceId,
    );
    await query(
      tx,
      `INSERT INTO lorawan_devices (device_id, tenant_id, application_id, dev_eui, network_device_id, f_port, confirmed)
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $7)
       ON CONFLICT (device_id) DO UPDATE
         SET application_id = EXCLUDED.application_id, dev_eui = EXCLUDED.dev_eui,
             network_device_id = coalesce(EXCLUDED.network_device_id,
               CASE WHEN lorawan_devices.dev_eui = EXCLUDED.dev_eui THEN lorawan_devices.network_device_id END),
             f_port = EXCLUDED.f_port, confirmed = EXCLUDED.confirmed`,
      deviceId,
      ctx.tenantId,
      body.lorawanApplicationId,
      body.devEui,
      body.networkDeviceId,
      body.fPort,
      body.confirmed,
    ).catch((error: unknown) => {
      throw isUniqueViolation(error) ? conflict('Another device has this DevEUI in the application') : error;
    });
    await tx.$executeRawUnsafe('DELETE FROM lorawan_metric_mappings WHERE device_id = $1::uuid', deviceId);
    for (const mapping of body.mappings) {
      await tx.$executeRawUnsafe(
        `INSERT INTO lorawan_metric_mappings (tenant_id, device_id, path, series_id, scale, "offset")
         VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6)`,
        ctx.tenantId,
        deviceId,
        mapping.path,
        seriesId(mapping.metricKey),
        mapping.scale,
        mapping.offset,
      );
    }
    // The holders of the applications concerned reload their devices.
    await tx.$executeRawUnsafe(
      'UPDATE lorawan_applications SET devices_version = devices_version + 1 WHERE id = ANY($1::uuid[])',
      [body.lorawanApplicationId, ...(previous ? [previous.application_id] : [])],
    );
    await recordAudit(tx, ctx, {
      action: 'lorawan.device.bind',
      resourceType: 'device',
      resourceId: deviceId,
      details: { ...body },
    });
    return readDevice(tx, deviceId);
  });
  directory.invalidate(deviceId);
  return result;
}

export function deleteDevice({ db }: LorawanAdminDeps, ctx: TenantContext, deviceId: string): Promise<void> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    await findDevice(tx, ctx, deviceId);
    const [removed] = await query<{ application_id: string }>(
      tx,
      'DELETE FROM lorawan_devices WHERE device_id = $1::uuid RETURNING application_id',
      deviceId,
    );
    if (!removed) throw notFound('LoRaWAN binding');
    await tx.$executeRawUnsafe(
      'UPDATE lorawan_applications SET devices_version = devices_version + 1 WHERE id = $1::uuid',
      removed.application_id,
    );
    await recordAudit(tx, ctx, {
      action: 'lorawan.device.unbind',
      resourceType: 'device',
      resourceId: deviceId,
    });
  });
}

/**
 * The uplinks already received from the DevEUI in the application, mapped as `request` would map them: the raw
 * value at each path, `raw * scale + offset`, the value after the series' calibration, and why ingest would
 * refuse one. Nothing is stored and the binding is not changed.
 */
export async function previewDevice(
  { db, directory, window }: LorawanAdminDeps,
  ctx: TenantContext,
  deviceId: string,
  request: PreviewRequest,
): Promise<LorawanPreview> {
  const { uplinks, series } = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
    await lorawanDevice(tx, ctx, deviceId);
    await applicationOf(tx, request.lorawanApplicationId);
    const keys = request.mappings.map((m) => m.metricKey);
    const metrics = await tx.metric.findMany({
      where: { key: { in: keys } },
      select: { key: true, validMin: true, validMax: true },
    });
    const missing = keys.filter((key) => !metrics.some((m) => m.key === key));
    if (missing.length) throw invalid('mappings', `Unknown metrics: ${missing.join(', ')}`);
    const rows = await query<{ f_cnt: string; time: Date; payload: unknown }>(
      tx,
      `SELECT f_cnt::text, time, payload FROM lorawan_uplinks
        WHERE application_id = $1::uuid AND dev_eui = $2 ORDER BY received_at DESC, id DESC LIMIT $3`,
      request.lorawanApplicationId,
      request.devEui,
      request.uplinks,
    );
    return {
      uplinks: rows,
      series: new Map(
        metrics.map((m, i): [string, SeriesInfo] => [
          m.key,
          { id: -(i + 1), key: m.key, min: m.validMin, max: m.validMax },
        ]),
      ),
    };
  });
  const known = await directory.get(deviceId);
  if (!known) throw notFound('Device');
  const device: IngestDevice = { ...known, seriesByKey: new Map([...series, ...known.seriesByKey]) };
  const now = Date.now();
  return {
    uplinks: uplinks.map((uplink) => {
      const mapped = request.mappings.map((mapping) => {
        const raw = valueAt(uplink.payload, mapping.path);
        return { mapping, raw, value: mapPayloadValue(raw, mapping) };
      });
      const numbers = Object.fromEntries(
        mapped.flatMap(({ mapping, value }) =>
          typeof value === 'number' ? [[mapping.metricKey, value]] : [],
        ),
      );
      const { readings, rejections } =
        Object.keys(numbers).length === 0
          ? { readings: [], rejections: [] }
          : normalizeReadings(device, [{ ts: uplink.time.getTime(), values: numbers }], now, window);
      return {
        fCnt: Number(uplink.f_cnt),
        time: uplink.time.toISOString(),
        payload: uplink.payload ?? null,
        values: mapped.map(({ mapping, raw, value }) => {
          const seriesId = device.seriesByKey.get(mapping.metricKey)?.id;
          const refused = rejections.find((r) => r.metric === mapping.metricKey)?.reason;
          return {
            path: mapping.path,
            metricKey: mapping.metricKey,
            raw: raw === undefined ? null : raw,
            mapped: typeof value === 'number' ? value : null,
            stored: readings.find((r) => r.seriesId === seriesId)?.value ?? null,
            rejected: typeof value === 'number' ? (refused ?? null) : value,
          };
        }),
      };
    }),
  };
}
