import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { hashCredential } from '@tidewatch/db';
import { createTestDatabase, demoEmail, demoTenants } from '@tidewatch/db/testing';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import type { Alert, Page, TokenResponse } from '@tidewatch/shared';
import pg from 'pg';
import { io } from 'socket.io-client';
import { Histogram, preciseNow } from './socket-fanout/histogram.ts';
import { cpuSeconds, perThousand } from './socket-fanout/process-cpu.ts';
import type { ClientSpec, Command, Reply } from './socket-fanout/protocol.ts';
import { writeResults } from './results-file.ts';
import { machineInfo, round } from './stats.ts';

// Socket.IO fan-out: K clients spread over both demo tenants connect to the server (in its own process), each
// following the tenant's alerts and subscribed to a few live series. Operators' comments on alerts (a REST
// request each, at a fixed rate) and device readings (HTTP ingest, at a fixed rate) stream through it; every
// client records when each message arrives. Then the same clients connect to a bare Socket.IO server on the same
// machine, the matching limit: its echo round trip and its broadcast latency at the same rate, and its fastest
// broadcast. Both servers' CPU time per 1,000 delivered messages is read from /proc, a figure that does not depend
// on the load generator sharing the cores. Sizes come from the environment.

const clientCount = Number(process.env.BENCH_CLIENTS ?? 5000);
const durationSeconds = Number(process.env.BENCH_DURATION_S ?? 30);
const alertRate = Number(process.env.BENCH_ALERT_RATE ?? 20);
const readingRate = Number(process.env.BENCH_READING_RATE ?? 200);
const subscriptionsPerClient = Number(process.env.BENCH_SUBSCRIPTIONS ?? 10);
const processCount = Number(process.env.BENCH_CLIENT_PROCESSES ?? 2);
const port = Number(process.env.BENCH_PORT ?? 18_081);
const barePort = Number(process.env.BENCH_BARE_PORT ?? 18_082);
const coalesceMs = Number(process.env.BENCH_COALESCE_MS ?? 250);
const DEVICES_PER_TENANT = 25;
/** Each device reports these in one message, as real nodes do: one request carries four readings. */
const METRICS = ['level_cm', 'flow_lpm', 'pressure_bar', 'pump_state'];
const ROUND_TRIPS = 1000;
const BURST = 100;
const SECRET = 'bench-device-secret';
const url = `http://127.0.0.1:${String(port)}`;
const bareUrl = `http://127.0.0.1:${String(barePort)}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function serverMemory(): Promise<{ rss: number; heapUsed: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: read('process_resident_memory_bytes'), heapUsed: read('nodejs_heap_size_used_bytes') };
}

/** Sends one command to every client process and waits for each one's reply of `type`. */
function ask<T extends Reply['type']>(
  children: readonly ChildProcess[],
  command: Command | ((index: number) => Command),
  type: T,
  timeoutMs = 600_000,
): Promise<Extract<Reply, { type: T }>[]> {
  return Promise.all(
    children.map(
      (child, index) =>
        new Promise<Extract<Reply, { type: T }>>((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error(`client process ${String(index)}: no ${type} within ${String(timeoutMs)} ms`));
          }, timeoutMs);
          const onExit = (code: number | null) => {
            reject(new Error(`client process ${String(index)} exited with ${String(code)}`));
          };
          const onMessage = (reply: Reply) => {
            if (reply.type !== type) return;
            clearTimeout(timer);
            child.off('message', onMessage);
            child.off('exit', onExit);
            resolve(reply as Extract<Reply, { type: T }>);
          };
          child.on('message', onMessage);
          child.once('exit', onExit);
          child.send(typeof command === 'function' ? command(index) : command);
        }),
    ),
  );
}

function startClientProcesses(): ChildProcess[] {
  return Array.from({ length: processCount }, () =>
    spawn(
      process.execPath,
      ['--import', 'tsx', path.join(import.meta.dirname, 'socket-fanout/client-load.ts')],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    ),
  );
}

async function connectClients(
  children: readonly ChildProcess[],
  target: string,
  mode: 'tidewatch' | 'bare',
  specs: readonly ClientSpec[],
): Promise<number> {
  const started = performance.now();
  const replies = await ask(
    children,
    (index) => ({
      type: 'connect',
      url: target,
      mode,
      clients: specs.filter((_, i) => i % children.length === index),
    }),
    'connected',
  );
  const connected = replies.reduce((sum, r) => sum + r.connected, 0);
  const failed = replies.reduce((sum, r) => sum + r.failed, 0);
  console.log(
    `${mode}: ${String(connected)} clients connected in ${String(round((performance.now() - started) / 1000))} s` +
      (failed > 0
        ? `, ${String(failed)} failed (${replies.find((r) => r.firstError)?.firstError ?? ''})`
        : ''),
  );
  if (connected === 0) throw new Error('no client could connect');
  return connected;
}

async function roundTrips(children: readonly ChildProcess[]) {
  const [first] = await ask(children.slice(0, 1), { type: 'round-trips', count: ROUND_TRIPS }, 'round-trips');
  return Histogram.from(first?.histogram ?? []).summary();
}

/**
 * Waits until the clients have received everything on its way: their count of messages has not moved for
 * `quietMs`, or `limitMs` passed. Counting at a fixed moment instead would report messages still queued in the
 * server or in the sockets as lost.
 */
async function drained(children: readonly ChildProcess[], quietMs = 2000, limitMs = 120_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  let last = -1;
  let stillSince = performance.now();
  while (performance.now() < deadline) {
    const replies = await ask(children, { type: 'progress' }, 'progress');
    const messages = replies.reduce((sum, r) => sum + r.messages, 0);
    if (messages !== last) {
      last = messages;
      stillSince = performance.now();
    } else if (performance.now() - stillSince >= quietMs) return;
    await sleep(250);
  }
}

async function collect(
  children: readonly ChildProcess[],
  sent: Record<string, Record<string, number[]>> = {},
  readings: Record<string, number> = {},
) {
  const replies = await ask(children, { type: 'report', sent, readings }, 'report');
  const merged = { alerts: new Histogram(), telemetry: new Histogram(), broadcasts: new Histogram() };
  for (const reply of replies) {
    merged.alerts.merge(Histogram.from(reply.alerts));
    merged.telemetry.merge(Histogram.from(reply.telemetry));
    merged.broadcasts.merge(Histogram.from(reply.broadcasts));
  }
  const firstAt = Math.min(...replies.map((r) => r.firstAt).filter((t) => !Number.isNaN(t)));
  const lastAt = Math.max(...replies.map((r) => r.lastAt).filter((t) => !Number.isNaN(t)));
  return {
    ...merged,
    messages: replies.reduce((sum, r) => sum + r.messages, 0),
    expectedAlerts: replies.reduce((sum, r) => sum + r.expectedAlerts, 0),
    matchedAlerts: replies.reduce((sum, r) => sum + r.matchedAlerts, 0),
    expectedReadings: replies.reduce((sum, r) => sum + r.expectedReadings, 0),
    receivedReadings: replies.reduce((sum, r) => sum + r.receivedReadings, 0),
    spanSeconds: (lastAt - firstAt) / 1000,
  };
}

/** Runs `send(i)` at a fixed rate for the duration, without waiting for answers (open loop). */
async function atRate(
  ratePerSecond: number,
  send: (i: number) => Promise<boolean>,
): Promise<{ sent: number; failed: number }> {
  const total = Math.round(ratePerSecond * durationSeconds);
  const start = performance.now();
  const pending: Promise<boolean>[] = [];
  for (let i = 0; i < total; i += 1) {
    const wait = start + (i * 1000) / ratePerSecond - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(send(i).catch(() => false));
  }
  const outcomes = await Promise.all(pending);
  return { sent: total, failed: outcomes.filter((ok) => !ok).length };
}

const database = await createTestDatabase({ seed: true });
const admin = new pg.Client({ connectionString: database.adminUrl });
await admin.connect();
const children: ChildProcess[] = [];
let server: ServerProcess | undefined;
let bare: ChildProcess | undefined;
try {
  // Devices of the benchmark's own, on no asset: no alert rule watches them, so readings change no alert and
  // every alert event is one of the benchmark's comments.
  const credential = await hashCredential(SECRET);
  const tenants = await Promise.all(
    demoTenants.map(async (tenant) => {
      const devices = await admin.query<{ id: string; series_id: number }>(
        `WITH t AS (SELECT id FROM tenants WHERE slug = $1),
              d AS (INSERT INTO devices (tenant_id, name, serial_number, transport, credential_hash)
                    SELECT t.id, 'Fan-out device ' || g, 'FANOUT-' || g, 'http', $2 FROM t, generate_series(1, $3) g
                    RETURNING id, tenant_id)
         INSERT INTO series (tenant_id, device_id, metric_id)
         SELECT d.tenant_id, d.id, m.id FROM d JOIN metrics m ON m.tenant_id = d.tenant_id AND m.key = ANY ($4)
         RETURNING device_id AS id, id AS series_id`,
        [tenant.slug, credential, DEVICES_PER_TENANT, METRICS],
      );
      return {
        tenant,
        series: devices.rows.map((row) => row.series_id),
        devices: [...new Set(devices.rows.map((row) => row.id))].map((id) => ({
          id,
          series: devices.rows.filter((row) => row.id === id).map((row) => row.series_id),
        })),
      };
    }),
  );

  // BENCH_SERVER_NODE_ARGS passes options to the server's node, e.g. `--cpu-prof --cpu-prof-dir=prof`.
  const serverNodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  server = new ServerProcess({
    databaseUrl: database.appUrl,
    port,
    compiled: true,
    nodeArgs: serverNodeArgs,
    env: {
      ACCESS_TOKEN_TTL_S: '7200',
      THINGSPEAK_ENABLED: 'false',
      // No background alert jobs: the only alert changes are the benchmark's.
      ALERT_JOB_INTERVAL_MS: '3600000',
      REALTIME_COALESCE_MS: String(coalesceMs),
    },
  });
  await server.start();

  const login = async (email: string): Promise<string> => {
    const response = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'tidewatch-demo' }),
    });
    return ((await response.json()) as TokenResponse).accessToken;
  };
  const sides = await Promise.all(
    tenants.map(async ({ tenant, devices, series }) => {
      const operator = await login(demoEmail('operator', tenant));
      const supervisor = await login(demoEmail('supervisor', tenant));
      const open = await fetch(`${url}/api/v1/alerts?open=true&limit=50`, {
        headers: { authorization: `Bearer ${supervisor}` },
      });
      const alerts = ((await open.json()) as Page<Alert>).items;
      return { slug: tenant.slug, operator, supervisor, alerts, devices, series };
    }),
  );
  const alertPayloadBytes = JSON.stringify({ sequence: 1, alert: sides[0]?.alerts[0] }).length;

  const specs: ClientSpec[] = Array.from({ length: clientCount }, (_, i) => {
    const side = sides[i % sides.length];
    if (!side) throw new Error('no tenant');
    const seriesIds = new Set<number>();
    while (seriesIds.size < Math.min(subscriptionsPerClient, side.series.length)) {
      seriesIds.add(side.series[Math.floor(Math.random() * side.series.length)] ?? 0);
    }
    return { auth: { token: side.operator }, tenant: side.slug, seriesIds: [...seriesIds] };
  });

  const ingest = async (
    device: { id: string; series: readonly number[] },
    value: number,
  ): Promise<boolean> => {
    const response = await fetch(`${url}/api/v1/ingest`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${device.id}:${SECRET}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        ts: Date.now(),
        values: {
          level_cm: value,
          flow_lpm: value * 2,
          pressure_bar: 2 + value / 1000,
          pump_state: value % 2,
        },
      }),
    });
    await response.arrayBuffer();
    return response.status === 202;
  };
  // Warm up: each device's secret is verified once (argon2) and then remembered; the run measures the steady state.
  const allDevices = sides.flatMap((side) => side.devices);
  for (let i = 0; i < allDevices.length; i += 4) {
    await Promise.all(allDevices.slice(i, i + 4).map((device) => ingest(device, 100)));
  }

  // The gateway.
  children.push(...startClientProcesses());
  await sleep(1000);
  const idle = await serverMemory();
  const connected = await connectClients(children, url, 'tidewatch', specs);
  await sleep(3000);
  const loaded = await serverMemory();
  const requestRoundTrip = await roundTrips(children);
  await ask(children, { type: 'measure' }, 'measuring');
  const gatewayCpuBefore = await cpuSeconds(server.pid);
  const sent: Record<string, Record<string, number[]>> = {};
  // Per series, readings the server accepted in the window: each client expects every one of those it follows.
  // Telemetry is coalesced by design (the latest per series per interval); at one reading per series a second
  // and a 250 ms interval, two readings of a series rarely share one, and if they do the earlier is replaced.
  const readingsStored: Record<string, number> = {};
  const started = performance.now();
  const [comments, readings] = await Promise.all([
    atRate(alertRate, async (i) => {
      const side = sides[i % sides.length];
      const alert = side?.alerts[Math.floor(i / sides.length) % side.alerts.length];
      if (!side || !alert) return false;
      const perTenant = (sent[side.slug] ??= {});
      const requested = (perTenant[alert.id] ??= []);
      const at = preciseNow();
      requested.push(at);
      const ok = await fetch(`${url}/api/v1/alerts/${alert.id}/comments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${side.supervisor}`, 'content-type': 'application/json' },
        body: JSON.stringify({ comment: `Fan-out benchmark ${String(i)}` }),
      }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status === 201;
        },
        () => false,
      );
      // A refused change makes no event: no client should wait for it.
      if (!ok) requested.splice(requested.indexOf(at), 1);
      return ok;
    }),
    atRate(readingRate / METRICS.length, async (i) => {
      const side = sides[i % sides.length];
      const device = side?.devices[Math.floor(i / sides.length) % side.devices.length];
      if (!device) return false;
      const ok = await ingest(device, 100 + (i % 100));
      if (ok)
        for (const id of device.series) readingsStored[String(id)] = (readingsStored[String(id)] ?? 0) + 1;
      return ok;
    }),
  ]);
  await drained(children);
  const loadSeconds = (performance.now() - started) / 1000;
  const gatewayCpu = (await cpuSeconds(server.pid)) - gatewayCpuBefore;
  const gateway = await collect(children, sent, readingsStored);
  await ask(children, { type: 'disconnect' }, 'disconnected');
  await server.stop();
  server = undefined;

  // The matching limit: bare Socket.IO, same machine, same clients.
  bare = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'socket-fanout/bare-server.ts')],
    {
      env: { ...process.env, BENCH_BARE_PORT: String(barePort) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  await new Promise((resolve) => bare?.once('message', resolve));
  const control = io(bareUrl, { transports: ['websocket'], forceNew: true });
  await new Promise((resolve) =>
    control.once('connect', () => {
      resolve(undefined);
    }),
  );
  const bareRss = async (): Promise<number> =>
    Number(await control.timeout(10_000).emitWithAck('bench:memory'));
  const bareIdle = await bareRss();
  const bareConnected = await connectClients(
    children,
    bareUrl,
    'bare',
    specs.map((spec) => ({ ...spec, seriesIds: [] })),
  );
  await sleep(3000);
  const bareLoaded = await bareRss();
  const echoRoundTrip = await roundTrips(children);
  await ask(children, { type: 'measure' }, 'measuring');
  const bareCpuBefore = await cpuSeconds(bare.pid);
  const paced = Math.round(alertRate * Math.min(durationSeconds, 15));
  await control.timeout(600_000).emitWithAck('bench:broadcast', {
    count: paced,
    ratePerSecond: alertRate,
    payloadBytes: alertPayloadBytes,
  });
  await drained(children);
  const bareCpu = (await cpuSeconds(bare.pid)) - bareCpuBefore;
  const bareBroadcast = await collect(children);
  await ask(children, { type: 'measure' }, 'measuring');
  await control.timeout(600_000).emitWithAck('bench:broadcast', {
    count: BURST,
    ratePerSecond: 0,
    payloadBytes: alertPayloadBytes,
  });
  await sleep(5000);
  const bareBurst = await collect(children);
  control.close();
  await ask(children, { type: 'disconnect' }, 'disconnected');

  const perConnection = (before: number, after: number, n: number) => Math.round((after - before) / n);
  const gatewayRate = gateway.messages / loadSeconds;
  const burstRate = bareBurst.messages / Math.max(bareBurst.spanSeconds, 0.001);
  const report = {
    benchmark: 'socket-fanout',
    at: new Date().toISOString(),
    machine: machineInfo(),
    note:
      'Alert latency counts from the REST request that made the change (a comment) to its arrival at each ' +
      "client of the alert's tenant; telemetry latency from the reading's timestamp (set when it was sent) to its " +
      `arrival, so it includes ingest, the commit and the coalescing interval (${String(coalesceMs)} ms). The bare ` +
      'server is Socket.IO alone, on the same machine, with the same clients: its echo, its broadcast at the same ' +
      'rate and payload size, and its fastest broadcast are the limit the gateway is read against. Deliveries are ' +
      'counted once the clients have received everything on its way (no new message for 2 s), and server CPU over ' +
      'the same window; telemetry is expected per client for the series it follows, every reading the server ' +
      'accepted (coalescing keeps the latest per series per interval, so two readings of one series in one ' +
      'interval would count one short).',
    settings: {
      clients: clientCount,
      clientProcesses: processCount,
      tenants: sides.length,
      durationSeconds,
      alertChangesPerSecond: alertRate,
      readingsPerSecond: readingRate,
      subscriptionsPerClient,
      coalesceMs,
      alertPayloadBytes,
    },
    gateway: {
      connected,
      alertDelivery: {
        latencyMs: gateway.alerts.summary(),
        expected: gateway.expectedAlerts,
        delivered: gateway.matchedAlerts,
        lost: gateway.expectedAlerts - gateway.matchedAlerts,
        changesRequested: comments.sent,
        changesFailed: comments.failed,
      },
      telemetryDelivery: {
        latencyMs: gateway.telemetry.summary(),
        readingsSent: readings.sent * METRICS.length,
        readingsFailed: readings.failed * METRICS.length,
        // Over every client: readings of the series it follows, accepted by the server, and received by it.
        expected: gateway.expectedReadings,
        delivered: gateway.receivedReadings,
      },
      messagesPerSecond: Math.round(gatewayRate),
      // Everything the server did in the window (REST changes, ingest, fan-out) per message it delivered.
      serverCpuSeconds: round(gatewayCpu, 2),
      cpuSecondsPer1000Deliveries: round(perThousand(gatewayCpu, gateway.messages), 4),
      requestRoundTripMs: requestRoundTrip,
      serverMemory: {
        idleRssBytes: idle.rss,
        loadedRssBytes: loaded.rss,
        rssPerConnectionBytes: perConnection(idle.rss, loaded.rss, connected),
        heapPerConnectionBytes: perConnection(idle.heapUsed, loaded.heapUsed, connected),
      },
    },
    bareSocketIo: {
      connected: bareConnected,
      echoRoundTripMs: echoRoundTrip,
      broadcastAtSameRate: {
        latencyMs: bareBroadcast.broadcasts.summary(),
        broadcasts: paced,
        expected: paced * bareConnected,
        delivered: bareBroadcast.broadcasts.count,
        serverCpuSeconds: round(bareCpu, 2),
        cpuSecondsPer1000Deliveries: round(perThousand(bareCpu, bareBroadcast.messages), 4),
      },
      fastestBroadcast: { broadcasts: BURST, messagesPerSecond: Math.round(burstRate) },
      rssPerConnectionBytes: perConnection(bareIdle, bareLoaded, bareConnected),
    },
    ratios: {
      alertP50VsBareBroadcastP50: round(
        gateway.alerts.percentile(0.5) / bareBroadcast.broadcasts.percentile(0.5),
        2,
      ),
      alertP99VsBareBroadcastP99: round(
        gateway.alerts.percentile(0.99) / bareBroadcast.broadcasts.percentile(0.99),
        2,
      ),
      requestVsEchoRoundTripP50: round(requestRoundTrip.p50 / echoRoundTrip.p50, 2),
      cpuPerDeliveryVsBare: round(
        perThousand(gatewayCpu, gateway.messages) / perThousand(bareCpu, bareBroadcast.messages),
        2,
      ),
      memoryPerConnectionVsBare: round(
        perConnection(idle.rss, loaded.rss, connected) / perConnection(bareIdle, bareLoaded, bareConnected),
        2,
      ),
      messagesPerSecondVsBareFastest: round(gatewayRate / burstRate, 3),
    },
  };
  await writeResults('socket-fanout', report);
  console.log(
    JSON.stringify(
      { gateway: report.gateway, bareSocketIo: report.bareSocketIo, ratios: report.ratios },
      null,
      2,
    ),
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  bare?.kill('SIGTERM');
  await server?.stop();
  await admin.end();
  await database.drop();
}
