import type { ThingSpeakBinding } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { FakeThingSpeak, fixtureEntries, type FeedEntryJson } from './fake-thingspeak.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

interface BindingRow {
  id: string;
  last_entry_id: string | null;
  last_entry_at: Date | null;
  last_polled_at: Date | null;
  next_poll_at: Date | null;
  consecutive_failures: number;
  circuit_open_until: Date | null;
  last_error: string | null;
  claim_token: string | null;
}

interface Bound {
  readonly deviceId: string;
  readonly bindingId: string;
  readonly channelId: number;
  readonly series: ReadonlyMap<string, number>;
}

const FIELDS = [
  { field: 1, metricKey: 'level_cm', scale: 0.5, offset: 10 },
  { field: 2, metricKey: 'temperature_c', scale: 1, offset: 0 },
  { field: 3, metricKey: 'tds_ppm', scale: 1, offset: 0 },
  { field: 4, metricKey: 'battery_v', scale: 1, offset: -0.1 },
];

/** The server's own environment for these tests: the poller on, looking for due channels ten times a second. */
function pollerEnv(fake: FakeThingSpeak): Record<string, string> {
  return {
    THINGSPEAK_ENABLED: 'true',
    THINGSPEAK_URL: fake.url,
    THINGSPEAK_TICK_MS: '100',
    THINGSPEAK_TIMEOUT_MS: '700',
    THINGSPEAK_CIRCUIT_THRESHOLD: '3',
    INGEST_DEVICE_CACHE_MS: '0',
  };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function bindingRow(bindingId: string): Promise<BindingRow> {
  const [row] = await adminQuery<BindingRow>('SELECT * FROM thingspeak_bindings WHERE id = $1', [bindingId]);
  if (!row) throw new Error(`no binding ${bindingId}`);
  return row;
}

/** Stored readings of a series, oldest first. */
async function stored(seriesId: number): Promise<{ time: number; value: number }[]> {
  const rows = await adminQuery<{ time: Date; value: number }>(
    'SELECT time, value FROM telemetry WHERE series_id = $1 ORDER BY time',
    [seriesId],
  );
  return rows.map((row) => ({ time: row.time.getTime(), value: row.value }));
}

/** A sample from /metrics; `labels` as Prometheus prints them (`outcome="ok"`), empty for none. */
async function metricValue(api: Api, name: string, labels: string): Promise<number> {
  const text = (await api.request<string>('GET', '/metrics')).body;
  const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(prefix.length)) : 0;
}

describe('ThingSpeak poller', () => {
  let fake: FakeThingSpeak;
  let server: RunningServer;
  let api: Api;
  let admin: string;
  const created: string[] = [];

  /** A ThingSpeak device of tenant A bound to `channelId`, disabled until the test has arranged the channel. */
  async function bindNewDevice(channelId: number): Promise<Bound> {
    const device = await api.request<{ device: { id: string } }>('POST', '/api/v1/devices', {
      token: admin,
      body: {
        name: `ThingSpeak channel ${String(channelId)}`,
        transport: 'thingspeak',
        metricKeys: FIELDS.map((f) => f.metricKey),
      },
    });
    expect(device.status).toBe(201);
    const deviceId = device.body.device.id;
    created.push(deviceId);
    const binding = await setBinding(deviceId, channelId, false);
    return {
      deviceId,
      bindingId: binding.id,
      channelId,
      series: new Map(binding.fields.map((f) => [f.metricKey, f.seriesId])),
    };
  }

  async function setBinding(
    deviceId: string,
    channelId: number,
    enabled: boolean,
  ): Promise<ThingSpeakBinding> {
    const response = await api.request<ThingSpeakBinding>('PUT', `/api/v1/devices/${deviceId}/thingspeak`, {
      token: admin,
      body: { channelId, pollIntervalS: 60, enabled, fields: FIELDS },
    });
    expect(response.status).toBe(200);
    return response.body;
  }

  /** Lets the clock run to the channel's next read (its interval, back-off or cool-down) without waiting for it. */
  async function timePasses(bound: Bound): Promise<void> {
    await adminQuery(
      `UPDATE thingspeak_bindings
          SET next_poll_at = least(next_poll_at, now()),
              circuit_open_until = least(circuit_open_until, now())
        WHERE id = $1 AND claim_token IS NULL`,
      [bound.bindingId],
    );
  }

  /** Waits for one more read of the channel and for its result to be recorded. */
  async function nextPoll(
    bound: Bound,
    arrange: () => Promise<void> = () => timePasses(bound),
  ): Promise<BindingRow> {
    const before = fake.requestsFor(bound.channelId).length;
    await arrange();
    return waitFor(
      async () => {
        if (fake.requestsFor(bound.channelId).length <= before) return undefined;
        const row = await bindingRow(bound.bindingId);
        return row.claim_token === null ? row : undefined;
      },
      `a poll of channel ${String(bound.channelId)}`,
    );
  }

  beforeAll(async () => {
    fake = await FakeThingSpeak.start();
    server = await startTestServer(pollerEnv(fake));
    api = new Api(server.url);
    admin = await api.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await server.close();
    await fake.close();
    // Telemetry has no foreign key to its series: clear it first, so no orphans are left for other tests.
    for (const table of ['telemetry', 'telemetry_dirty', 'telemetry_1m', 'telemetry_1h']) {
      await adminQuery(
        `DELETE FROM ${table} WHERE series_id IN (SELECT id FROM series WHERE device_id = ANY($1::uuid[]))`,
        [created],
      );
    }
    await adminQuery('DELETE FROM devices WHERE id = ANY($1::uuid[])', [created]);
  });

  it('stores each entry once across repeated polls, as raw * scale + offset and then calibrated', async () => {
    const channel = await bindNewDevice(910_001);
    const entries = fixtureEntries(Date.now() - 120_000);
    fake.setFeed(channel.channelId, entries);
    const temperature = channel.series.get('temperature_c') ?? 0;
    await adminQuery(
      `INSERT INTO calibrations (tenant_id, series_id, scale, "offset", valid_during)
       SELECT tenant_id, id, 2, -20, tstzrange(NULL, NULL) FROM series WHERE id = $1`,
      [temperature],
    );

    const first = await nextPoll(channel, async () => {
      await setBinding(channel.deviceId, channel.channelId, true);
    });
    const polledAgain = await nextPoll(channel);
    const requests = fake.requestsFor(channel.channelId);

    const expected = (field: `field${number}`, convert: (raw: number) => number) =>
      entries
        .filter((e) => e[field] !== null && e[field] !== undefined)
        .map((e) => ({ time: Date.parse(e.created_at), value: convert(Number(e[field])) }));
    expect(await stored(channel.series.get('level_cm') ?? 0)).toEqual(
      expected('field1', (raw) => raw * 0.5 + 10),
    );
    expect(await stored(temperature)).toEqual(expected('field2', (raw) => (raw * 1 + 0) * 2 - 20));
    expect(await stored(channel.series.get('tds_ppm') ?? 0)).toHaveLength(59);
    expect(await stored(channel.series.get('battery_v') ?? 0)).toEqual(
      expected('field4', (raw) => raw * 1 - 0.1),
    );
    expect(first.last_entry_id).toBe('4179');
    expect(first.last_entry_at?.toISOString()).toBe(
      new Date(Date.parse(entries[59]?.created_at ?? '')).toISOString(),
    );
    expect(first.consecutive_failures).toBe(0);
    // The next read is the binding's interval after this one's request.
    expect((first.next_poll_at?.getTime() ?? 0) - (first.last_polled_at?.getTime() ?? 0)).toBe(60_000);
    // The first read asks for the newest entries ingest can still take; the next only from the last one on.
    expect(requests[0]?.query.get('results')).toBe('8000');
    expect(requests[1]?.query.get('start')).toBe(entries[59]?.created_at.replace('T', ' ').replace('Z', ''));
    expect(requests[1]?.query.get('timezone')).toBe('Etc/UTC');
    expect(polledAgain.last_entry_id).toBe('4179');
    expect(await stored(channel.series.get('level_cm') ?? 0)).toHaveLength(60);
  });

  it('takes new entries as they are appended, skipping null, empty and junk values and counting them', async () => {
    const channel = await bindNewDevice(910_002);
    const entries = fixtureEntries(Date.now() - 300_000);
    fake.setFeed(channel.channelId, entries);
    await nextPoll(channel, async () => {
      await setBinding(channel.deviceId, channel.channelId, true);
    });
    const missingBefore = await metricValue(api, 'thingspeak_fields_rejected_total', 'reason="missing"');
    const junkBefore = await metricValue(api, 'thingspeak_fields_rejected_total', 'reason="not_a_number"');
    const malformedBefore = await metricValue(api, 'thingspeak_entries_total', 'outcome="malformed"');
    const at = (secondsAgo: number) =>
      new Date(Date.now() - secondsAgo * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const appended: FeedEntryJson[] = [
      { created_at: at(120), entry_id: 4180, field1: 'NaN', field2: '', field3: '301', field4: '3.78' },
      { created_at: at(90), entry_id: 4181, field1: '192.4', field2: null, field3: 'err', field4: '0x10' },
      { created_at: 'not a time', entry_id: 4182, field1: '1', field2: '1', field3: '1', field4: '1' },
      { created_at: at(60), entry_id: 4183, field1: '  ', field2: 'abc', field3: null, field4: null },
      { created_at: at(30), entry_id: 4184, field1: '194.0', field2: '24.1', field3: '300', field4: '3.77' },
    ];
    fake.append(channel.channelId, appended);

    const after = await nextPoll(channel);

    const level = await stored(channel.series.get('level_cm') ?? 0);
    expect(after.last_entry_id).toBe('4184');
    expect(after.last_error).toBeNull();
    expect(level).toHaveLength(62);
    expect(level.slice(-2).map((r) => r.value)).toEqual([192.4 * 0.5 + 10, 194 * 0.5 + 10]);
    expect(await stored(channel.series.get('tds_ppm') ?? 0)).toHaveLength(59 + 2);
    expect(
      (await metricValue(api, 'thingspeak_fields_rejected_total', 'reason="missing"')) - missingBefore,
    ).toBe(5);
    expect(
      (await metricValue(api, 'thingspeak_fields_rejected_total', 'reason="not_a_number"')) - junkBefore,
    ).toBe(4);
    expect(
      (await metricValue(api, 'thingspeak_entries_total', 'outcome="malformed"')) - malformedBefore,
    ).toBe(1);
  });

  it('stores nothing twice when a crash left the cursor behind and the entries are read again', async () => {
    const channel = await bindNewDevice(910_003);
    fake.setFeed(channel.channelId, fixtureEntries(Date.now() - 60_000));
    await nextPoll(channel, async () => {
      await setBinding(channel.deviceId, channel.channelId, true);
    });
    const level = channel.series.get('level_cm') ?? 0;
    const before = await stored(level);
    const [rollupBefore] = await adminQuery<{ count: string }>(
      // As trends read the rollup: whether or not the rollup job has run yet.
      `SELECT sum(count) AS count FROM telemetry_minutes(ARRAY[$1]::int[], '-infinity', 'infinity')`,
      [level],
    );

    // As if the process died after committing the readings but before moving the cursor.
    await adminQuery(
      `UPDATE thingspeak_bindings SET last_entry_id = 4150, last_entry_at = last_entry_at - interval '29 minutes'
        WHERE id = $1`,
      [channel.bindingId],
    );
    const after = await nextPoll(channel);
    const [rollupAfter] = await adminQuery<{ count: string }>(
      // As trends read the rollup: whether or not the rollup job has run yet.
      `SELECT sum(count) AS count FROM telemetry_minutes(ARRAY[$1]::int[], '-infinity', 'infinity')`,
      [level],
    );

    expect(after.last_entry_id).toBe('4179');
    expect(await stored(level)).toEqual(before);
    expect(rollupAfter?.count).toBe(rollupBefore?.count);
  });

  it('survives 500s, timeouts and junk bodies: backs off, opens the circuit, and recovers', async () => {
    const channel = await bindNewDevice(910_004);
    const entries = fixtureEntries(Date.now() - 60_000);
    fake.setFeed(channel.channelId, entries);
    const level = channel.series.get('level_cm') ?? 0;
    const timeoutsBefore = await metricValue(api, 'thingspeak_polls_total', 'outcome="timeout"');

    fake.behave(channel.channelId, { kind: 'status', status: 500 });
    const afterServerError = await nextPoll(channel, async () => {
      await setBinding(channel.deviceId, channel.channelId, true);
    });
    fake.behave(channel.channelId, { kind: 'hang' });
    const afterTimeout = await nextPoll(channel);
    fake.behave(channel.channelId, {
      kind: 'body',
      body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
    });
    const afterHtml = await nextPoll(channel);

    expect(afterServerError).toMatchObject({
      consecutive_failures: 1,
      last_error: 'HTTP 500',
      circuit_open_until: null,
    });
    const retryIn =
      (afterServerError.next_poll_at?.getTime() ?? 0) - (afterServerError.last_polled_at?.getTime() ?? 0);
    expect(retryIn).toBeGreaterThanOrEqual(15_000);
    expect(retryIn).toBeLessThan(20_000);
    expect(afterTimeout).toMatchObject({
      consecutive_failures: 2,
      last_error: 'no complete answer within 700 ms',
    });
    expect(afterHtml.consecutive_failures).toBe(3);
    expect(afterHtml.last_error).toMatch(/not JSON \(an HTML page\)/);
    const openFor = (afterHtml.circuit_open_until?.getTime() ?? 0) - Date.now();
    expect(openFor).toBeGreaterThan(500_000);
    expect(afterHtml.next_poll_at?.getTime()).toBeGreaterThanOrEqual(
      afterHtml.circuit_open_until?.getTime() ?? 0,
    );
    expect((await metricValue(api, 'thingspeak_polls_total', 'outcome="timeout"')) - timeoutsBefore).toBe(1);
    expect(await metricValue(api, 'thingspeak_circuits_open', '')).toBeGreaterThanOrEqual(1);
    expect(await stored(level)).toEqual([]);

    // While the circuit is open nobody reads the channel, however often the poller looks.
    fake.behave(channel.channelId, { kind: 'feed' });
    const requestsWhileOpen = fake.requestsFor(channel.channelId).length;
    await sleep(1000);
    expect(fake.requestsFor(channel.channelId)).toHaveLength(requestsWhileOpen);

    // Half-open: one trial read after the cool-down; it fails, so the circuit opens again at once.
    fake.behave(channel.channelId, {
      kind: 'body',
      body: JSON.stringify({ channel: { id: 910_004 } }).slice(0, 20),
    });
    const failedTrial = await nextPoll(channel);
    expect(failedTrial.consecutive_failures).toBe(4);
    expect(failedTrial.last_error).toMatch(/not JSON/);
    expect(failedTrial.circuit_open_until?.getTime()).toBeGreaterThan(Date.now() + 500_000);

    fake.behave(channel.channelId, { kind: 'feed' });
    const recovered = await nextPoll(channel);
    expect(recovered).toMatchObject({
      consecutive_failures: 0,
      circuit_open_until: null,
      last_error: null,
      last_entry_id: '4179',
    });
    expect(await stored(level)).toHaveLength(60);
    expect((await api.request('GET', '/health/ready')).status).toBe(200);
  });

  it('skips only an entry the database refuses, storing the rest and moving the cursor past it', async () => {
    const channel = await bindNewDevice(910_009);
    const entries = fixtureEntries(Date.now() - 60_000);
    const poisoned = entries[41];
    if (!poisoned) throw new Error('the fixture has fewer entries');
    entries[41] = { ...poisoned, field1: '3000' };
    fake.setFeed(channel.channelId, entries);
    const level = channel.series.get('level_cm') ?? 0;
    // A rule of the database's own that this one value breaks (3000 * 0.5 + 10), as a future constraint might.
    await adminQuery(`
      CREATE FUNCTION test_refuse_1510() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.series_id = ${String(level)} AND NEW.value = 1510 THEN
          RAISE EXCEPTION 'refused for the test' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN NEW;
      END $$`);
    await adminQuery(
      'CREATE TRIGGER refuse_1510 BEFORE INSERT ON telemetry FOR EACH ROW EXECUTE FUNCTION test_refuse_1510()',
    );
    const refusedBefore = await metricValue(api, 'thingspeak_entries_total', 'outcome="refused"');
    let after: BindingRow;
    try {
      after = await nextPoll(channel, async () => {
        await setBinding(channel.deviceId, channel.channelId, true);
      });
    } finally {
      await adminQuery('DROP TRIGGER refuse_1510 ON telemetry');
      await adminQuery('DROP FUNCTION test_refuse_1510()');
    }

    expect(after).toMatchObject({ last_entry_id: '4179', consecutive_failures: 0, last_error: null });
    const values = (await stored(level)).map((r) => r.value);
    expect(values).toHaveLength(59);
    expect(values).not.toContain(1510);
    // The entry is refused whole, as a device's message is.
    expect(await stored(channel.series.get('battery_v') ?? 0)).toHaveLength(59);
    expect((await metricValue(api, 'thingspeak_entries_total', 'outcome="refused"')) - refusedBefore).toBe(1);
  });

  it('waits as long as a 429 asks, and keeps other channels going while one fails', async () => {
    const failing = await bindNewDevice(910_005);
    const healthy = await bindNewDevice(910_006);
    fake.setFeed(healthy.channelId, fixtureEntries(Date.now() - 60_000));
    fake.behave(failing.channelId, { kind: 'status', status: 429, headers: { 'retry-after': '120' } });

    const [limited, fine] = await Promise.all([
      nextPoll(failing, async () => {
        await setBinding(failing.deviceId, failing.channelId, true);
      }),
      nextPoll(healthy, async () => {
        await setBinding(healthy.deviceId, healthy.channelId, true);
      }),
    ]);

    expect(limited.last_error).toBe('HTTP 429');
    expect(
      (limited.next_poll_at?.getTime() ?? 0) - (limited.last_polled_at?.getTime() ?? 0),
    ).toBeGreaterThanOrEqual(120_000);
    expect(fine.last_entry_id).toBe('4179');
  });

  it('respects the rate limit: one read per due time, even with two instances looking ten times a second', async () => {
    const channel = await bindNewDevice(910_007);
    fake.setFeed(channel.channelId, fixtureEntries(Date.now() - 60_000));
    const second = await startTestServer(pollerEnv(fake));
    try {
      await nextPoll(channel, async () => {
        await setBinding(channel.deviceId, channel.channelId, true);
      });
      for (let round = 0; round < 4; round += 1) await nextPoll(channel);
      await sleep(1000);

      const times = fake.requestsFor(channel.channelId).map((r) => r.at);
      expect(times).toHaveLength(5);
      expect(await stored(channel.series.get('level_cm') ?? 0)).toHaveLength(60);
    } finally {
      await second.close();
    }
  });

  it('lets a poll in flight finish storing when the server stops', async () => {
    const channel = await bindNewDevice(910_008);
    fake.setFeed(channel.channelId, fixtureEntries(Date.now() - 60_000));
    fake.behave(channel.channelId, { kind: 'slow', delayMs: 400 });
    // Only the instance being stopped may take this channel: the main one stops first.
    const stopping = await startTestServer(pollerEnv(fake));
    await server.close();
    api = new Api(stopping.url);
    try {
      await setBinding(channel.deviceId, channel.channelId, true);
      await waitFor(
        () => Promise.resolve(fake.requestsFor(channel.channelId).length > 0 ? true : undefined),
        'the slow read to start',
      );

      await stopping.close();

      const row = await bindingRow(channel.bindingId);
      expect(row.claim_token).toBeNull();
      expect(row.last_entry_id).toBe('4179');
      expect(await stored(channel.series.get('level_cm') ?? 0)).toHaveLength(60);
    } finally {
      server = await startTestServer(pollerEnv(fake));
      api = new Api(server.url);
    }
  });
});
