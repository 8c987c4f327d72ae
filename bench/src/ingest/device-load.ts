import { text } from 'node:stream/consumers';
import { LeanMqttDevice } from './lean-mqtt-device.ts';
import type { DeviceLoad } from './run-device-load.ts';

// A child process of the ingest benchmark: N devices, each on its own MQTT connection, publishing QoS 1 messages
// at a fixed total rate (open loop: messages go out when due, whether or not earlier ones were acknowledged).
// A message holds `samplesPerMessage` reading messages of every metric; each sample's `ts` is its publish time
// (the earlier samples a millisecond apart before it), from which the server side measures latency. Reads its
// settings as JSON on stdin; prints a line once every device is connected, and a last one with its counts.

const settings = JSON.parse(await text(process.stdin)) as DeviceLoad;
// Within the server's sign-in line (2 checking, 32 waiting): more at once are only refused and tried again.
const CONNECTING_AT_ONCE = 32;

async function connect(device: DeviceLoad['devices'][number]): Promise<LeanMqttDevice> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await LeanMqttDevice.connect(settings.brokerUrl, device, `devices/${device.id}/telemetry`);
    } catch (error) {
      // A busy broker (CONNACK 3, a full sign-in line) is tried again; anything else after a few attempts fails.
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

const connectStarted = performance.now();
const clients: LeanMqttDevice[] = new Array<LeanMqttDevice>(settings.devices.length);
let nextToConnect = 0;
await Promise.all(
  Array.from({ length: CONNECTING_AT_ONCE }, async () => {
    while (nextToConnect < settings.devices.length) {
      const index = nextToConnect;
      nextToConnect += 1;
      const device = settings.devices[index];
      if (device) clients[index] = await connect(device);
    }
  }),
);
const connectSeconds = (performance.now() - connectStarted) / 1000;
process.stdout.write(`${JSON.stringify({ publishing: true })}\n`);

let sent = 0;
let acknowledged = 0;
let failed = 0;
const pending = new Set<Promise<void>>();
const start = performance.now();
const endAt = start + settings.durationSeconds * 1000;
let next = 0;
const lastTs: number[] = [];
const samples = settings.samplesPerMessage;

/** Within the valid range of the demo catalogue's metrics (the alert benchmark's devices report those). */
function valueOf(key: string, n: number): number {
  if (key === 'pump_state') return n % 2;
  if (key === 'pressure_bar') return 2 + (n % 10) / 10;
  if (key === 'flow_lpm') return 200 + (n % 50) * 2;
  return 100 + (n % 50);
}

function body(index: number): string {
  // One device's readings must not share a millisecond: (series, time) is a reading's identity.
  const last = Math.max(Date.now(), (lastTs[index] ?? 0) + samples);
  lastTs[index] = last;
  const messages = Array.from({ length: samples }, (_v, s) => {
    const values: Record<string, number> = {};
    for (const key of settings.metricKeys) values[key] = valueOf(key, sent + s);
    return { ts: last - (samples - 1 - s), values };
  });
  return JSON.stringify(samples === 1 ? messages[0] : messages);
}

await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const now = performance.now();
    const due = Math.floor(((Math.min(now, endAt) - start) / 1000) * settings.messagesPerSecond);
    while (sent < due) {
      const index = next % clients.length;
      next += 1;
      const client = clients[index];
      if (!client) continue;
      const message = body(index);
      sent += 1;
      const publish = client
        .publish(message)
        .then(() => {
          acknowledged += 1;
        })
        .catch(() => {
          failed += 1;
        });
      pending.add(publish);
      void publish.finally(() => pending.delete(publish));
    }
    if (now >= endAt) {
      clearInterval(tick);
      resolve();
    }
  }, 5);
});

// Let the last acknowledgements arrive (bounded).
await Promise.race([Promise.allSettled([...pending]), new Promise((resolve) => setTimeout(resolve, 30_000))]);
await Promise.all(clients.map((client) => client.end()));
process.stdout.write(`${JSON.stringify({ sent, acknowledged, failed, connectSeconds })}\n`);
