import mqtt, { type MqttClient } from 'mqtt';

// A child process of the ingest benchmark: N devices, each on its own MQTT connection, publishing QoS 1 messages
// of four readings at a fixed total rate (open loop: messages go out when due, whether or not earlier ones were
// acknowledged). Each message carries its publish time as `ts`, from which the server side measures latency.
// Reads its settings from the environment and prints one JSON line with its counts.

interface LoadSettings {
  readonly brokerUrl: string;
  readonly devices: readonly { readonly id: string; readonly secret: string }[];
  readonly messagesPerSecond: number;
  readonly durationSeconds: number;
}

const settings = JSON.parse(process.env.BENCH_LOAD ?? '{}') as LoadSettings;

const clients: MqttClient[] = await Promise.all(
  settings.devices.map((device) =>
    mqtt.connectAsync(settings.brokerUrl, {
      username: device.id,
      password: device.secret,
      clientId: device.id,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 30_000,
    }),
  ),
);

let sent = 0;
let acknowledged = 0;
let failed = 0;
const pending = new Set<Promise<void>>();
const start = performance.now();
const endAt = start + settings.durationSeconds * 1000;
let next = 0;
const lastTs: number[] = [];

await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const now = performance.now();
    const due = Math.floor(((Math.min(now, endAt) - start) / 1000) * settings.messagesPerSecond);
    while (sent < due) {
      const index = next % clients.length;
      next += 1;
      const client = clients[index];
      const device = settings.devices[index];
      if (!client || !device) continue;
      const value = 100 + (sent % 50);
      // One device's readings must not share a millisecond: (series, time) is a reading's identity.
      const ts = Math.max(Date.now(), (lastTs[index] ?? 0) + 1);
      lastTs[index] = ts;
      const body = JSON.stringify({
        ts,
        values: {
          level_cm: value,
          flow_lpm: value * 2,
          pressure_bar: 2 + (sent % 10) / 10,
          pump_state: sent % 2,
        },
      });
      sent += 1;
      const publish = client
        .publishAsync(`devices/${device.id}/telemetry`, body, { qos: 1 })
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
await Promise.all(clients.map((client) => client.endAsync(true)));
process.stdout.write(`${JSON.stringify({ sent, acknowledged, failed })}\n`);
