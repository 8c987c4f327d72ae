import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import { inject } from 'vitest';
import { adminQuery as adminQueryAt } from '../src/testing/admin-query.ts';

export { freePort } from '../src/testing/ports.ts';

export const adminQuery = <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> =>
  adminQueryAt<T>(inject('adminUrl'), sql, params);

export async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * A device that behaves as a real one should: a persistent session, QoS 1, reconnecting by itself, and every
 * message kept until its PUBACK arrives (mqtt.js resends unacknowledged ones after reconnecting).
 */
export async function connectDevice(url: string, id: string, secret: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    username: id,
    password: secret,
    clientId: id,
    clean: false,
    reconnectPeriod: 250,
    connectTimeout: 5000,
    resubscribe: true,
  });
}

/**
 * Publishes `count` QoS 1 readings of `metric` (value = index, one second apart in device time) at about
 * `perSecond`, running `during` once a third of the way through. Resolves with the indexes whose PUBACK came.
 */
export async function publishStream(
  device: MqttClient,
  deviceId: string,
  options: {
    count: number;
    perSecond: number;
    metric: string;
    startTs: number;
    value?: (i: number) => number;
  },
  during: () => Promise<void>,
): Promise<number[]> {
  const acknowledged: number[] = [];
  const publishes: Promise<void>[] = [];
  let fault: Promise<void> | undefined;
  for (let i = 0; i < options.count; i += 1) {
    const body = JSON.stringify({
      ts: options.startTs + i * 1000,
      values: { [options.metric]: options.value ? options.value(i) : i },
    });
    publishes.push(
      device.publishAsync(`devices/${deviceId}/telemetry`, body, { qos: 1 }).then(() => {
        acknowledged.push(i);
      }),
    );
    if (i === Math.floor(options.count / 3)) fault = during();
    await sleep(1000 / options.perSecond);
  }
  await fault;
  await Promise.all(publishes);
  return acknowledged.sort((a, b) => a - b);
}

export async function storedValues(seriesId: number): Promise<number[]> {
  const rows = await adminQuery<{ value: number }>(
    'SELECT value FROM telemetry WHERE series_id = $1 ORDER BY value',
    [seriesId],
  );
  return rows.map((row) => row.value);
}
