import type { AlertRule } from '@tidewatch/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DomainEvents } from '../src/events/event-bus.ts';
import type { RunningServer } from '../src/server.ts';
import {
  removeMosquitto,
  SERVER_MQTT_PASSWORD,
  startMosquitto,
  type TestMosquitto,
} from '../src/testing/mosquitto.ts';
import { adminQuery, Api, startInstances, tenantA } from './harness.ts';
import { dataOf, eventually, TestSocket } from './realtime-client.ts';

interface TestDevice {
  readonly id: string;
  readonly secret: string;
  readonly seriesId: number;
}

const DEVICES = 8;
const READINGS = 10;

describe('two server instances with Redis and Mosquitto', () => {
  let broker: TestMosquitto;
  const instances: RunningServer[] = [];
  const sockets: TestSocket[] = [];
  const clients: MqttClient[] = [];
  /** What each instance's own bus saw: the instance index with each event. */
  const raised: { instance: number; event: DomainEvents['alert.changed'] }[] = [];
  const stored: { instance: number; readings: number }[] = [];

  beforeAll(async () => {
    broker = await startMosquitto(inject('adminUrl'));
    instances.push(
      ...(await startInstances(2, 'redis://127.0.0.1:6379', (index) => ({
        MQTT_URL: broker.serverUrl,
        MQTT_PASSWORD: SERVER_MQTT_PASSWORD,
        MQTT_CLIENT_ID: `tidewatch-realtime-test-${String(index)}`,
        // The instances split the device topics: each reading is handled by one of them.
        MQTT_SHARE_GROUP: 'tidewatch',
        REALTIME_COALESCE_MS: '50',
      }))),
    );
    instances.forEach((instance, index) => {
      instance.bus.on('alert.changed', (event) => raised.push({ instance: index, event }));
      instance.bus.on('telemetry.stored', (event) =>
        stored.push({ instance: index, readings: event.readings.length }),
      );
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all(clients.map((client) => client.endAsync(true)));
    for (const instance of instances) await instance.close();
    await removeMosquitto(broker);
  });

  it('stores every reading once, raises every alert once, and delivers alerts and telemetry across instances', async () => {
    const [one, two] = instances;
    if (!one || !two) throw new Error('two instances');
    const api = new Api(one.url);
    const admin = await api.tokenFor(tenantA.email('admin'));
    const supervisor = await api.tokenFor(tenantA.email('supervisor'));
    const devices: TestDevice[] = [];
    const rules: AlertRule[] = [];
    for (let i = 0; i < DEVICES; i += 1) {
      const created = await api.request<{ device: { id: string; series: { id: number }[] }; secret: string }>(
        'POST',
        '/api/v1/devices',
        {
          token: admin,
          body: { name: `Two-instance node ${String(i)}`, transport: 'mqtt', metricKeys: ['level_cm'] },
        },
      );
      const device = {
        id: created.body.device.id,
        secret: created.body.secret,
        seriesId: created.body.device.series[0]?.id ?? 0,
      };
      devices.push(device);
      const rule = await api.request<AlertRule>('POST', '/api/v1/alert-rules', {
        token: supervisor,
        body: {
          name: `Two-instance high level ${String(i)}`,
          condition: 'high',
          priority: 'high',
          scope: 'series',
          seriesId: device.seriesId,
          setpoint: 100,
        },
      });
      expect(rule.status).toBe(201);
      rules.push(rule.body);
    }
    await broker.reloadCredentials();
    for (const instance of instances) {
      await eventually(async () => ((await fetch(`${instance.url}/health/ready`)).ok ? true : undefined));
    }
    const watcherOnOne = await TestSocket.connect(one.url, {
      token: await api.tokenFor(tenantA.email('operator')),
    });
    const watcherOnTwo = await TestSocket.connect(two.url, {
      token: await api.tokenFor(tenantA.email('operator2')),
    });
    sockets.push(watcherOnOne, watcherOnTwo);
    const seriesIds = devices.map((d) => d.seriesId);
    dataOf(await watcherOnOne.request('telemetry:subscribe', { seriesIds }));

    const connections = await Promise.all(
      devices.map(async (device) => {
        const client = await mqtt.connectAsync(broker.url, {
          clientId: device.id,
          username: device.id,
          password: device.secret,
          reconnectPeriod: 0,
        });
        clients.push(client);
        return { device, client };
      }),
    );
    const start = Date.now() - 2 * READINGS * 1000;
    let published = 0;
    const publish = async (round: number, value: number) => {
      await Promise.all(
        connections.map(({ device, client }) =>
          client.publishAsync(
            `devices/${device.id}/telemetry`,
            JSON.stringify({ ts: start + round * 1000, values: { level_cm: value } }),
            { qos: 1 },
          ),
        ),
      );
      published += connections.length;
    };
    // Below the setpoint until both instances take messages (a fresh shared subscription may take a moment).
    let round = 0;
    while (new Set(stored.map((s) => s.instance)).size < 2 && round < READINGS) {
      await publish(round, 50);
      round += 1;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Then above it, one message per device at a time: the raises land on both instances.
    for (let k = 0; k < READINGS; k += 1) await publish(READINGS + k, 150 + k);
    const count = async () =>
      Number(
        (
          await adminQuery<{ n: string }>(
            'SELECT count(*) AS n FROM telemetry WHERE series_id = ANY($1::int[])',
            [seriesIds],
          )
        )[0]?.n,
      );
    await eventually(async () => ((await count()) >= published ? true : undefined), 20_000, 'all stored');
    // Stored is not yet evaluated: the engine hears of readings after their commit, and may not have started.
    const raisedRows = async () => {
      for (const instance of instances) await instance.alerts?.drained();
      return adminQuery<{ id: string; rule_id: string }>(
        'SELECT id, rule_id FROM alerts WHERE rule_id = ANY($1::uuid[])',
        [rules.map((r) => r.id)],
      );
    };
    let alertRows = await raisedRows();
    for (const deadline = Date.now() + 10_000; alertRows.length < rules.length && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      alertRows = await raisedRows();
    }
    const raisedOn = new Map<string, number>();
    for (const { instance, event } of [...raised].sort((a, b) => a.event.sequence - b.event.sequence)) {
      if (!raisedOn.has(event.alert.id)) raisedOn.set(event.alert.id, instance);
    }
    const raisedOnTwo = alertRows.filter((row) => raisedOn.get(row.id) === 1).map((row) => row.id);
    for (const id of alertRows.map((row) => row.id)) {
      await watcherOnOne.waitFor('alert', (e) => e.alert.id === id);
      await watcherOnTwo.waitFor('alert', (e) => e.alert.id === id);
    }
    const latest = await eventually(
      () => {
        const values = new Map<number, number>();
        for (const reading of watcherOnOne.all('telemetry').flatMap((t) => t.readings)) {
          values.set(reading[0], Math.max(values.get(reading[0]) ?? 0, reading[2]));
        }
        return seriesIds.every((id) => values.get(id) === 150 + READINGS - 1) ? values : undefined;
      },
      10_000,
      'the latest reading of every series',
    );

    expect(await count()).toBe(published);
    expect(stored.filter((s) => s.instance === 0).length).toBeGreaterThan(0);
    expect(stored.filter((s) => s.instance === 1).length).toBeGreaterThan(0);
    expect(stored.reduce((sum, s) => sum + s.readings, 0)).toBe(published);
    expect(alertRows.map((row) => row.rule_id).sort()).toEqual(rules.map((r) => r.id).sort());
    expect(raisedOnTwo.length, 'alerts raised on the second instance').toBeGreaterThan(0);
    expect(latest.size).toBe(DEVICES);
  });
});
