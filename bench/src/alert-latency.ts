import { createTestDatabase, demoEmail, demoTenants } from '@tidewatch/db/testing';
import { provisionDevices } from '@tidewatch/server/testing/provision-devices';
import type { TokenResponse } from '@tidewatch/shared';
import mqtt from 'mqtt';
import { startBenchServer } from './bench-server.ts';
import { runDeviceLoad } from './ingest/run-device-load.ts';
import { writeResults } from './results-file.ts';
import { machineInfo, percentile, round } from './stats.ts';

// Alert latency: a probe reading over a threshold, published over MQTT, until the alert change it causes is
// committed and emitted on the event bus (what the realtime layer forwards), while background devices stream
// readings that every evaluate a threshold rule (none of them crosses it). The server runs in this process so
// the event can be timed; the background devices run in a child process.

const backgroundRate = Number(process.env.BENCH_BACKGROUND_READINGS_PER_S ?? 5000);
const durationSeconds = Number(process.env.BENCH_DURATION_S ?? 30);
const backgroundDevices = Number(process.env.BENCH_DEVICES ?? 200);
const probeCount = Number(process.env.BENCH_PROBES ?? 10);
const BACKGROUND_METRICS = ['level_cm', 'flow_lpm', 'pressure_bar', 'pump_state'];
const READINGS_PER_MESSAGE = BACKGROUND_METRICS.length;
const SECRET = 'bench-device-secret';
const SETPOINT = 500;
const [tenant] = demoTenants;

const database = await createTestDatabase({ seed: true });
try {
  const background = await provisionDevices(database.adminUrl, {
    tenantSlug: tenant.slug,
    count: backgroundDevices,
    metricKeys: BACKGROUND_METRICS,
    secret: SECRET,
    label: 'Bench background',
  });
  const probes = await provisionDevices(database.adminUrl, {
    tenantSlug: tenant.slug,
    count: probeCount,
    metricKeys: ['level_cm'],
    secret: SECRET,
    label: 'Bench probe',
  });
  const server = await startBenchServer(database.appUrl);
  try {
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demoEmail('supervisor', tenant), password: 'tidewatch-demo' }),
    });
    const { accessToken } = (await login.json()) as TokenResponse;
    // A high rule on every level series: the background's are evaluated on each reading and never fire.
    const levelSeries = [...background, ...probes].map((device) => device.series.level_cm ?? 0);
    for (const seriesId of levelSeries) {
      const response = await fetch(`${server.url}/api/v1/alert-rules`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `Bench high ${String(seriesId)}`,
          condition: 'high',
          priority: 'high',
          scope: 'series',
          seriesId,
          setpoint: SETPOINT,
          deadband: 5,
        }),
      });
      if (response.status !== 201)
        throw new Error(`rule: ${String(response.status)} ${await response.text()}`);
    }

    const probeSeries = new Set(probes.map((device) => device.series.level_cm ?? 0));
    const publishedAt = new Map<number, number>();
    const latencies: number[] = [];
    server.bus.on('alert.changed', (event) => {
      const seriesId = event.alert.seriesId;
      if (seriesId === null || !probeSeries.has(seriesId) || !event.alert.conditionActive) return;
      const sent = publishedAt.get(seriesId);
      if (sent === undefined) return;
      publishedAt.delete(seriesId);
      latencies.push(Date.now() - sent);
    });

    const brokerUrl = `mqtt://127.0.0.1:${String(server.mqttPort)}`;
    const probeClients = await Promise.all(
      probes.map((device) =>
        mqtt.connectAsync(brokerUrl, { clientId: device.id, username: device.id, password: SECRET }),
      ),
    );
    const load = runDeviceLoad({
      brokerUrl,
      devices: background,
      metricKeys: BACKGROUND_METRICS,
      samplesPerMessage: 1,
      messagesPerSecond: backgroundRate / READINGS_PER_MESSAGE,
      durationSeconds,
    });
    // Let the background reach its rate, then each probe alternates over and under the threshold every second.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const probesSent = { over: 0 };
    const endAt = Date.now() + (durationSeconds - 6) * 1000;
    let phase = 0;
    while (Date.now() < endAt) {
      const over = phase % 2 === 0;
      probes.forEach((device, index) => {
        const client = probeClients[index];
        const seriesId = device.series.level_cm ?? 0;
        if (!client) return;
        const ts = Date.now();
        if (over) {
          publishedAt.set(seriesId, ts);
          probesSent.over += 1;
        }
        void client.publishAsync(
          `devices/${device.id}/telemetry`,
          JSON.stringify({ ts, values: { level_cm: over ? SETPOINT + 100 : SETPOINT - 100 } }),
          { qos: 1 },
        );
      });
      phase += 1;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const backgroundResult = await load;
    await Promise.all(probeClients.map((client) => client.endAsync()));
    const sorted = latencies.sort((a, b) => a - b);
    const report = {
      benchmark: 'alert-latency',
      at: new Date().toISOString(),
      machine: machineInfo(),
      note:
        'Probe reading published over MQTT (embedded broker) → alert change committed → alert.changed emitted, ' +
        'timed from the reading’s publish time, while background devices publish readings that each evaluate a ' +
        'threshold rule. Server, PostgreSQL and the load share the machine.',
      settings: {
        backgroundReadingsPerSecond: backgroundRate,
        durationSeconds,
        backgroundDevices,
        probes: probeCount,
      },
      background: {
        messagesSent: backgroundResult.sent,
        messagesAcknowledged: backgroundResult.acknowledged,
        achievedReadingsPerSecond: round(
          (backgroundResult.acknowledged * READINGS_PER_MESSAGE) / durationSeconds,
        ),
      },
      probes: { overThresholdSent: probesSent.over, alertChangesTimed: sorted.length },
      latencyMs: {
        p50: percentile(sorted, 0.5),
        p90: percentile(sorted, 0.9),
        p99: percentile(sorted, 0.99),
        max: sorted.at(-1) ?? Number.NaN,
      },
    };
    await writeResults('alert-latency', report);
    console.log(
      JSON.stringify({ background: report.background, probes: report.probes, latencyMs: report.latencyMs }),
    );
  } finally {
    await server.close();
  }
} finally {
  await database.drop();
}
