import { withTenant, type Database } from '@tidewatch/db';
import type { OpcuaPreview, OpcuaPreviewRequest, OpcuaValueRejection } from '@tidewatch/shared';
import { AttributeIds, NodeClass, type DataValue, type ReferenceDescription } from 'node-opcua-client';
import { AppError, conflict, invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import type { DeviceDirectory } from '../ingest/device-directory.ts';
import type { IngestDevice, SeriesInfo } from '../ingest/ingest-device.ts';
import { normalizeReadings, type TimeWindow } from '../ingest/normalize-readings.ts';
import { SecretBoxError, type SecretBox } from '../secrets/secret-box.ts';
import { opcuaPasswordContext } from '../secrets/stored-secrets.ts';
import { clientIdentity } from './client-identity.ts';
import { nodeIdProblem, parseNodeId } from './node-ids.ts';
import { opcuaDevice } from './opcua-bindings.ts';
import { ConnectFailure, describeFailure, openClient, type EndpointClient } from './opcua-connect.ts';
import { sampleOf } from './opcua-session.ts';
import { mappedValue, rawText, readingTime } from './sampled-values.ts';

export interface OpcuaPreviewDeps {
  readonly db: Database;
  readonly secrets: SecretBox;
  readonly directory: DeviceDirectory;
  /** Off: the server does not talk OPC UA at all, not even for a preview. */
  readonly enabled: boolean;
  readonly timeoutMs: number;
  /** Ingest's window, so a preview flags the readings ingest would refuse as too old or too far ahead. */
  readonly window: TimeWindow;
}

/** References listed by a browse at most. */
const BROWSE_LIMIT = 200;

/** The device, the metrics and the password, as saving the binding would check them; nothing is written. */
async function check(
  deps: OpcuaPreviewDeps,
  ctx: TenantContext,
  deviceId: string,
  request: OpcuaPreviewRequest,
) {
  for (const [i, item] of request.items.entries()) {
    const problem = nodeIdProblem(item.nodeId);
    if (problem) throw invalid(`items.${String(i)}.nodeId`, problem);
  }
  if (request.browse !== null && nodeIdProblem(request.browse)) throw invalid('browse', 'not a NodeId');
  return withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await opcuaDevice(tx, ctx, deviceId);
    const keys = request.items.map((item) => item.metricKey);
    const metrics = await tx.metric.findMany({
      where: { key: { in: keys } },
      select: { key: true, validMin: true, validMax: true },
    });
    const missing = keys.filter((key) => !metrics.some((m) => m.key === key));
    if (missing.length) throw invalid('items', `Unknown metrics: ${missing.join(', ')}`);
    let password = request.password ?? null;
    if (request.password === undefined && request.username !== null) {
      const binding = await tx.opcuaBinding.findUnique({ where: { deviceId } });
      // The stored password is for the stored user only.
      const stored = binding?.username === request.username ? binding.password : null;
      if (stored) {
        try {
          password = (await deps.secrets.open(stored, opcuaPasswordContext(ctx.tenantId, deviceId))).toString(
            'utf8',
          );
        } catch (error) {
          if (!(error instanceof SecretBoxError)) throw error;
          throw conflict('The stored password cannot be read; send the password again');
        }
      }
    }
    // Not yet a series of the device: stands in for the one saving adds, with the metric's valid range.
    const series = new Map(
      metrics.map((m, i): [string, SeriesInfo] => [
        m.key,
        { id: -(i + 1), key: m.key, min: m.validMin, max: m.validMax },
      ]),
    );
    return { password, series };
  });
}

const connectProblem = (error: unknown): AppError => {
  if (error instanceof ConnectFailure && error.kind === 'untrusted') return conflict(error.message);
  const message = describeFailure(error);
  return /took longer than/.test(message)
    ? new AppError('gateway_timeout', `The OPC UA endpoint did not answer in time: ${message}`)
    : new AppError('bad_gateway', `The OPC UA endpoint could not be reached: ${message}`);
};

function browsedOf(references: readonly ReferenceDescription[]): NonNullable<OpcuaPreview['browsed']> {
  return references.slice(0, BROWSE_LIMIT).map((reference) => ({
    nodeId: reference.nodeId.toString(),
    browseName: reference.browseName.toString(),
    displayName: reference.displayName.text ?? '',
    nodeClass: NodeClass[reference.nodeClass] ?? String(reference.nodeClass),
  }));
}

/**
 * Connects once as the connector would (the tenant's certificate, the trust list, the binding's user), reads
 * the mapped nodes now, optionally lists a node's children to find more, and shows what a binding would store
 * of each value: as read, `raw * scale + offset`, after the series' calibration, or why it would be refused.
 * Nothing is stored and the binding is not changed. A server certificate met for the first time is added to
 * the trust list as pending (and the preview refused until it is approved).
 */
export async function previewEndpoint(
  deps: OpcuaPreviewDeps,
  ctx: TenantContext,
  deviceId: string,
  request: OpcuaPreviewRequest,
): Promise<OpcuaPreview> {
  const { password, series } = await check(deps, ctx, deviceId, request);
  if (!deps.enabled) throw conflict('OPC UA is turned off on this server, so an endpoint cannot be read');
  let endpoint: EndpointClient;
  try {
    endpoint = await openClient({ ...request, tenantId: ctx.tenantId, deviceId }, password, {
      pool: deps.db.pool,
      identity: (tenantId) => clientIdentity(deps.db.pool, deps.secrets, tenantId),
      timeoutMs: deps.timeoutMs,
      reconnectDelay: { initialMs: 500, maxMs: 1000 },
    });
  } catch (error) {
    throw connectProblem(error);
  }
  let dataValues: DataValue[];
  let browsed: OpcuaPreview['browsed'] = null;
  try {
    dataValues =
      request.items.length === 0
        ? []
        : await endpoint.session.read(
            request.items.map((item) => ({
              nodeId: parseNodeId(item.nodeId),
              attributeId: AttributeIds.Value,
            })),
            0,
          );
    if (request.browse !== null) {
      const result = await endpoint.session.browse(parseNodeId(request.browse).toString());
      browsed = result.statusCode.isGood() ? browsedOf(result.references ?? []) : [];
    }
  } catch (error) {
    throw new AppError('bad_gateway', `The OPC UA endpoint failed the read: ${describeFailure(error)}`);
  } finally {
    await endpoint.close();
  }
  const known = await deps.directory.get(deviceId);
  if (!known) throw notFound('Device');
  const device: IngestDevice = { ...known, seriesByKey: new Map([...series, ...known.seriesByKey]) };
  const now = Date.now();
  return {
    endpointUrl: request.endpointUrl,
    values: request.items.map((item, i) => {
      const dataValue = dataValues[i];
      if (!dataValue) {
        return {
          nodeId: item.nodeId,
          metricKey: item.metricKey,
          raw: null,
          dataType: null,
          statusCode: 'BadNoData',
          sourceTimestamp: null,
          mapped: null,
          stored: null,
          rejected: 'bad_status' as const,
        };
      }
      const sample = sampleOf(dataValue);
      const mapped = mappedValue(sample, item);
      let stored: number | null = null;
      let rejected: OpcuaValueRejection | null = typeof mapped === 'number' ? null : mapped;
      if (typeof mapped === 'number') {
        const { readings, rejections } = normalizeReadings(
          device,
          [{ ts: readingTime(sample, now), values: { [item.metricKey]: mapped } }],
          now,
          deps.window,
        );
        stored = readings[0]?.value ?? null;
        rejected = rejections[0]?.reason ?? null;
      }
      return {
        nodeId: item.nodeId,
        metricKey: item.metricKey,
        raw: rawText(sample.value),
        dataType: sample.dataType,
        statusCode: sample.statusName,
        sourceTimestamp: sample.sourceTimestamp?.toISOString() ?? null,
        mapped: typeof mapped === 'number' ? mapped : null,
        stored,
        rejected,
      };
    }),
    browsed,
  };
}
