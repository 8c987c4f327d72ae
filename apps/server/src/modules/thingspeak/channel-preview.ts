import { withTenant, type Database } from '@tidewatch/db';
import type {
  ReadingRejectionReason,
  ThingSpeakPreview,
  ThingSpeakPreviewRequest,
  ThingSpeakPreviewValue,
} from '@tidewatch/shared';
import { AppError, conflict, invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { findDevice } from '../devices/device.routes.ts';
import { SecretBoxError, type SecretBox } from '../secrets/secret-box.ts';
import { readKeyContext } from '../secrets/stored-secrets.ts';
import type { DeviceDirectory } from '../ingest/device-directory.ts';
import type { IngestDevice, SeriesInfo } from '../ingest/ingest-device.ts';
import { normalizeReadings, type TimeWindow } from '../ingest/normalize-readings.ts';
import { mapFieldValue } from './feed-readings.ts';
import { ChannelReadError, type ThingSpeakClient } from './thingspeak-client.ts';
import type { ChannelFeed, FeedEntry } from './thingspeak-feed.ts';

export interface ChannelPreviewDeps {
  readonly db: Database;
  readonly client: ThingSpeakClient;
  readonly directory: DeviceDirectory;
  /** Ingest's window, so a preview flags the readings ingest would refuse as too old or too far ahead. */
  readonly window: TimeWindow;
  /** Off: the server does not talk to ThingSpeak at all, not even for a preview. */
  readonly enabled: boolean;
  /** Opens the stored read key. */
  readonly secrets: SecretBox;
}

interface Checked {
  readonly readKey: string | null;
  /** The device's series by metric key, with the metrics it does not report yet (saving adds them). */
  readonly series: Map<string, SeriesInfo>;
}

const FIELD_NUMBERS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

async function openReadKey(secrets: SecretBox, stored: string, tenantId: string, deviceId: string) {
  try {
    return (await secrets.open(stored, readKeyContext(tenantId, deviceId))).toString('utf8');
  } catch (error) {
    if (!(error instanceof SecretBoxError)) throw error;
    throw conflict('The stored read key cannot be read; send the key again (readApiKey)');
  }
}

/** The device, the metrics and the key, as saving the binding would check them; nothing is written. */
async function check(
  { db, secrets }: ChannelPreviewDeps,
  ctx: TenantContext,
  deviceId: string,
  request: ThingSpeakPreviewRequest,
): Promise<Checked> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const device = await findDevice(tx, ctx, deviceId);
    if (device.transport !== 'thingspeak')
      throw invalid('id', 'Only a device of transport "thingspeak" has a binding');
    const keys = request.fields.map((f) => f.metricKey);
    const metrics = await tx.metric.findMany({
      where: { key: { in: keys } },
      select: { key: true, validMin: true, validMax: true },
    });
    const missing = keys.filter((key) => !metrics.some((m) => m.key === key));
    if (missing.length) throw invalid('fields', `Unknown metrics: ${missing.join(', ')}`);
    let readKey = request.readApiKey ?? null;
    if (request.readApiKey === undefined) {
      const binding = await tx.thingSpeakBinding.findUnique({ where: { deviceId } });
      // The stored key is for the stored channel only.
      const stored = binding && Number(binding.channelId) === request.channelId ? binding.readApiKey : null;
      readKey = stored && (await openReadKey(secrets, stored, ctx.tenantId, deviceId));
    }
    // Not yet a series of the device: stands in for the one saving adds, with the metric's valid range.
    const series = new Map(
      metrics.map((m, i): [string, SeriesInfo] => [
        m.key,
        { id: -(i + 1), key: m.key, min: m.validMin, max: m.validMax },
      ]),
    );
    return { readKey, series };
  });
}

/** A failed read as the caller should see it: their key or channel, or ThingSpeak itself. */
function readFailure(error: unknown, channelId: number): AppError {
  if (!(error instanceof ChannelReadError)) throw error;
  switch (error.kind) {
    case 'timeout':
      return new AppError('gateway_timeout', `ThingSpeak gave ${error.message}`);
    case 'network':
      return new AppError('bad_gateway', `ThingSpeak ${error.message}`);
    case 'bad_body':
      return new AppError('bad_gateway', `ThingSpeak's answer is not a channel feed: ${error.message}`);
    case 'http_status':
      if (error.status === 404) return notFound(`ThingSpeak channel ${String(channelId)}`);
      if (error.status === 400 || error.status === 401 || error.status === 403) {
        return new AppError('validation_failed', 'ThingSpeak refused to read the channel', [
          {
            path: 'readApiKey',
            message: `ThingSpeak answered HTTP ${String(error.status)}: a private channel needs its read key`,
          },
        ]);
      }
      return new AppError('bad_gateway', `ThingSpeak answered ${error.message}`);
  }
}

/** A field value as ThingSpeak sent it, as text (it sends strings; anything else is shown as JSON). */
function rawText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function previewEntry(
  entry: FeedEntry,
  request: ThingSpeakPreviewRequest,
  device: IngestDevice,
  window: TimeWindow,
  now: number,
): ThingSpeakPreview['entries'][number] {
  const mapped = request.fields.map((mapping) => ({
    mapping,
    value: mapFieldValue(entry.fields[mapping.field], mapping),
  }));
  const numbers = Object.fromEntries(
    mapped.flatMap(({ mapping, value }) => (typeof value === 'number' ? [[mapping.metricKey, value]] : [])),
  );
  // Ingest's own checks, on this entry alone: range, time window, calibration.
  const { readings, rejections } =
    Object.keys(numbers).length === 0
      ? { readings: [], rejections: [] }
      : normalizeReadings(device, [{ ts: entry.createdAt, values: numbers }], now, window);
  const values = mapped.map(({ mapping, value }): ThingSpeakPreviewValue => {
    const seriesId = device.seriesByKey.get(mapping.metricKey)?.id;
    const stored = readings.find((r) => r.seriesId === seriesId);
    const refused: ReadingRejectionReason | undefined = rejections.find(
      (r) => r.metric === mapping.metricKey,
    )?.reason;
    return {
      field: mapping.field,
      metricKey: mapping.metricKey,
      raw: rawText(entry.fields[mapping.field]),
      mapped: typeof value === 'number' ? value : null,
      stored: stored?.value ?? null,
      rejected: typeof value === 'number' ? (refused ?? null) : value,
    };
  });
  return {
    entryId: entry.entryId,
    createdAt: new Date(entry.createdAt).toISOString(),
    fields: Object.fromEntries(FIELD_NUMBERS.map((n) => [String(n), rawText(entry.fields[n])])),
    values,
  };
}

/**
 * Reads the newest entries of a channel once, with the poller's client, and shows what a binding with
 * `request`'s mapping would store of each: the raw fields, `raw * scale + offset`, the value after the series'
 * calibration, and why ingest would refuse a value. Nothing is stored and the binding is not changed.
 */
export async function previewChannel(
  deps: ChannelPreviewDeps,
  ctx: TenantContext,
  deviceId: string,
  request: ThingSpeakPreviewRequest,
): Promise<ThingSpeakPreview> {
  const { readKey, series } = await check(deps, ctx, deviceId, request);
  if (!deps.enabled) throw conflict('ThingSpeak is turned off on this server, so a channel cannot be read');
  let feed: ChannelFeed;
  try {
    feed = await deps.client.readFeed({
      channelId: request.channelId,
      readKey,
      since: null,
      results: request.results,
    });
  } catch (error) {
    throw readFailure(error, request.channelId);
  }
  const known = await deps.directory.get(deviceId);
  if (!known) throw notFound('Device');
  const device: IngestDevice = { ...known, seriesByKey: new Map([...series, ...known.seriesByKey]) };
  const now = Date.now();
  return {
    channelId: feed.channelId,
    entries: feed.entries.map((entry) => previewEntry(entry, request, device, deps.window, now)),
    malformedEntries: feed.malformedEntries,
  };
}
