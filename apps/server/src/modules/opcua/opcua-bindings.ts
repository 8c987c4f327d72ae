import { withTenant, type Database, type TenantTransaction } from '@tidewatch/db';
import type {
  OpcuaBinding,
  OpcuaBindingState,
  OpcuaCertificateStatus,
  OpcuaSecurityMode,
  OpcuaSecurityPolicy,
  PutOpcuaBinding,
} from '@tidewatch/shared';
import { invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { ensureSeries, findDevice } from '../devices/device.routes.ts';
import type { DeviceDirectory } from '../ingest/device-directory.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { opcuaPasswordContext } from '../secrets/stored-secrets.ts';
import { nodeIdProblem } from './node-ids.ts';

export interface OpcuaBindingDeps {
  readonly db: Database;
  readonly secrets: SecretBox;
  readonly directory: DeviceDirectory;
  /** Failures after which a binding's circuit shows open. */
  readonly circuitThreshold: number;
}

/** The device, in the caller's tenant and zones, and of transport "opcua". */
export async function opcuaDevice(tx: TenantTransaction, ctx: TenantContext, id: string) {
  const device = await findDevice(tx, ctx, id);
  if (device.transport !== 'opcua')
    throw invalid('id', 'Only a device of transport "opcua" has an OPC UA binding');
  return device;
}

async function readBinding(
  tx: TenantTransaction,
  deviceId: string,
  circuitThreshold: number,
): Promise<OpcuaBinding> {
  const row = await tx.opcuaBinding.findUnique({
    where: { deviceId },
    include: {
      items: { include: { series: { include: { metric: true } } } },
      commands: { orderBy: { command: 'asc' } },
    },
  });
  if (!row) throw notFound('OPC UA binding');
  const certificate =
    row.serverThumbprint === null
      ? null
      : await tx.opcuaServerCertificate.findFirst({
          where: { thumbprint: row.serverThumbprint },
          select: { id: true, status: true },
        });
  return {
    id: row.id,
    deviceId: row.deviceId,
    endpointUrl: row.endpointUrl,
    securityPolicy: row.securityPolicy as OpcuaSecurityPolicy,
    securityMode: row.securityMode as OpcuaSecurityMode,
    username: row.username,
    hasPassword: row.password !== null,
    publishingIntervalMs: row.publishingIntervalMs,
    enabled: row.enabled,
    items: row.items
      .map((item) => ({
        nodeId: item.nodeId,
        metricKey: item.series.metric.key,
        seriesId: item.seriesId,
        samplingIntervalMs: item.samplingIntervalMs,
        deadbandType: item.deadbandType as 'none' | 'absolute' | 'percent',
        deadbandValue: item.deadbandValue,
        scale: item.scale,
        offset: item.offset,
      }))
      .sort((a, b) => a.metricKey.localeCompare(b.metricKey)),
    commands: row.commands.map((command) => ({
      command: command.command,
      kind: command.kind as 'write' | 'call',
      nodeId: command.nodeId,
      objectNodeId: command.objectNodeId,
    })),
    status: {
      state: row.state as OpcuaBindingState,
      held: row.leaseUntil !== null && row.leaseUntil.getTime() > Date.now(),
      since: row.stateChangedAt?.toISOString() ?? null,
      lastReadAt: row.lastReadAt?.toISOString() ?? null,
      lastError: row.lastError,
      lastErrorAt: row.lastErrorAt?.toISOString() ?? null,
      consecutiveFailures: row.consecutiveFailures,
      circuitOpen: row.consecutiveFailures >= circuitThreshold,
      serverCertificate:
        row.serverThumbprint === null
          ? null
          : {
              id: certificate?.id ?? null,
              thumbprint: row.serverThumbprint,
              status: (certificate?.status ?? 'pending') as OpcuaCertificateStatus,
            },
    },
  };
}

/** Every node id of the binding, parsed as the connector will parse it. */
function checkNodeIds(body: PutOpcuaBinding): void {
  const nodes: [string, string][] = [
    ...body.items.map((item, i): [string, string] => [`items.${String(i)}.nodeId`, item.nodeId]),
    ...body.commands.flatMap((command, i): [string, string][] => [
      [`commands.${String(i)}.nodeId`, command.nodeId],
      ...(command.objectNodeId === null
        ? []
        : [[`commands.${String(i)}.objectNodeId`, command.objectNodeId] as [string, string]]),
    ]),
  ];
  for (const [path, nodeId] of nodes) {
    const problem = nodeIdProblem(nodeId);
    if (problem !== null) throw invalid(path, problem);
  }
}

export function getOpcuaBinding(
  deps: OpcuaBindingDeps,
  ctx: TenantContext,
  deviceId: string,
): Promise<OpcuaBinding> {
  return withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await findDevice(tx, ctx, deviceId);
    return readBinding(tx, deviceId, deps.circuitThreshold);
  });
}

/**
 * Binds the device to an endpoint, or replaces its binding. The instance holding it loses its claim, so the
 * session is made anew with what was saved (by whichever instance claims it next).
 */
export async function saveOpcuaBinding(
  deps: OpcuaBindingDeps,
  ctx: TenantContext,
  deviceId: string,
  body: PutOpcuaBinding,
): Promise<OpcuaBinding> {
  checkNodeIds(body);
  const binding = await withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await opcuaDevice(tx, ctx, deviceId);
    await ensureSeries(
      tx,
      ctx,
      deviceId,
      body.items.map((item) => item.metricKey),
    );
    const series = await tx.series.findMany({ where: { deviceId }, include: { metric: true } });
    const seriesId = (key: string): number => series.find((s) => s.metric.key === key)?.id ?? 0;
    const stored = await tx.opcuaBinding.findUnique({
      where: { deviceId },
      select: { username: true, password: true },
    });
    // Stored sealed, bound to this device; a kept password is kept only for the same user.
    const password =
      body.username === null
        ? null
        : body.password !== undefined
          ? body.password && deps.secrets.seal(body.password, opcuaPasswordContext(ctx.tenantId, deviceId))
          : stored?.username === body.username
            ? stored.password
            : null;
    const settings = {
      endpointUrl: body.endpointUrl,
      securityPolicy: body.securityPolicy,
      securityMode: body.securityMode,
      username: body.username,
      password,
      publishingIntervalMs: body.publishingIntervalMs,
      enabled: body.enabled,
    };
    const saved = await tx.opcuaBinding.upsert({
      where: { deviceId },
      create: { tenantId: ctx.tenantId, deviceId, ...settings },
      update: {
        ...settings,
        // The holder lets its session go at its next renewal; the next claim connects with these settings.
        claimToken: null,
        claimedBy: null,
        leaseUntil: null,
        state: 'idle',
        stateChangedAt: new Date(),
        consecutiveFailures: 0,
        updatedAt: new Date(),
      },
    });
    await tx.opcuaMonitoredItem.deleteMany({ where: { bindingId: saved.id } });
    await tx.opcuaMonitoredItem.createMany({
      data: body.items.map((item) => ({
        tenantId: ctx.tenantId,
        bindingId: saved.id,
        seriesId: seriesId(item.metricKey),
        nodeId: item.nodeId,
        samplingIntervalMs: item.samplingIntervalMs,
        deadbandType: item.deadbandType,
        deadbandValue: item.deadbandValue,
        scale: item.scale,
        offset: item.offset,
      })),
    });
    await tx.opcuaCommandMapping.deleteMany({ where: { bindingId: saved.id } });
    if (body.commands.length > 0) {
      await tx.opcuaCommandMapping.createMany({
        data: body.commands.map((command) => ({
          tenantId: ctx.tenantId,
          bindingId: saved.id,
          command: command.command,
          kind: command.kind,
          nodeId: command.nodeId,
          objectNodeId: command.objectNodeId,
        })),
      });
    }
    await recordAudit(tx, ctx, {
      action: 'opcua.bind',
      resourceType: 'device',
      resourceId: deviceId,
      details: {
        endpointUrl: body.endpointUrl,
        securityPolicy: body.securityPolicy,
        securityMode: body.securityMode,
        username: body.username,
        password: body.password === undefined ? 'kept' : body.password ? 'set' : null,
        items: body.items,
        commands: body.commands,
        enabled: body.enabled,
      },
    });
    return readBinding(tx, deviceId, deps.circuitThreshold);
  });
  deps.directory.invalidate(deviceId);
  return binding;
}

export function deleteOpcuaBinding(
  deps: OpcuaBindingDeps,
  ctx: TenantContext,
  deviceId: string,
): Promise<void> {
  return withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await findDevice(tx, ctx, deviceId);
    const deleted = await tx.opcuaBinding.deleteMany({ where: { deviceId } });
    if (deleted.count === 0) throw notFound('OPC UA binding');
    await recordAudit(tx, ctx, { action: 'opcua.unbind', resourceType: 'device', resourceId: deviceId });
  });
}
