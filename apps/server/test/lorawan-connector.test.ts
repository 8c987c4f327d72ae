import { randomBytes, randomUUID } from 'node:crypto';
import type { DeviceCommand, LorawanApplication, LorawanDevice, LorawanPreview } from '@tidewatch/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

// Mosquitto on 127.0.0.1:1883 stands in for the network servers' brokers: the test publishes what ChirpStack v4
// and The Things Stack publish, and reads the downlinks they would take.
const BROKER = 'mqtt://127.0.0.1:1883';

const ENV = {
  LORAWAN_ENABLED: 'true',
  LORAWAN_LEASE_MS: '3000',
  LORAWAN_TICK_MS: '200',
  LORAWAN_RECONNECT_BASE_MS: '200',
  INGEST_DEVICE_CACHE_MS: '0',
  COMMAND_SWEEP_S: '3600',
};

const MAPPINGS = [
  { path: 'level.cm', metricKey: 'level_cm', scale: 1, offset: 0 },
  { path: 'battery', metricKey: 'battery_v', scale: 0.001, offset: 0 },
];

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

async function metricValue(api: Api, name: string, labels: string): Promise<number> {
  const text = (await api.request<string>('GET', '/metrics')).body;
  const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(prefix.length)) : 0;
}

async function readings(seriesId: number): Promise<{ time: number; value: number }[]> {
  const rows = await adminQuery<{ time: Date; value: number }>(
    'SELECT time, value FROM telemetry WHERE series_id = $1 ORDER BY time',
    [seriesId],
  );
  return rows.map((row) => ({ time: row.time.getTime(), value: row.value }));
}

const devEui = () => randomBytes(8).toString('hex');

describe('LoRaWAN connector through ChirpStack and The Things Stack MQTT integrations', () => {
  let server: RunningServer;
  let second: RunningServer | null = null;
  let api: Api;
  let admin: string;
  let peer: MqttClient;
  const csApp = randomUUID();
  const ttsApp = `tw-${randomBytes(4).toString('hex')}@ttn`;
  let chirpstack: LorawanApplication;
  let tts: LorawanApplication;
  let csDevice: LorawanDevice;
  let csDeviceId: string;
  const csEui = devEui();

  async function newLorawanDevice(name: string): Promise<string> {
    const created = await api.request<{ device: { id: string }; secret: string | null }>(
      'POST',
      '/api/v1/devices',
      {
        token: admin,
        body: { name, transport: 'lorawan', metricKeys: ['level_cm', 'battery_v'] },
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.secret).toBeNull();
    return created.body.device.id;
  }

  async function createApplication(body: Record<string, unknown>): Promise<LorawanApplication> {
    const response = await api.request<LorawanApplication>('POST', '/api/v1/lorawan-applications', {
      token: admin,
      body,
    });
    expect(response.status).toBe(201);
    return response.body;
  }

  async function bind(deviceId: string, body: Record<string, unknown>): Promise<LorawanDevice> {
    const response = await api.request<LorawanDevice>('PUT', `/api/v1/devices/${deviceId}/lorawan`, {
      token: admin,
      body,
    });
    expect(response.status).toBe(200);
    return response.body;
  }

  const connected = (id: string, through = api) =>
    waitFor(async () => {
      const app = await through.request<LorawanApplication>('GET', `/api/v1/lorawan-applications/${id}`, {
        token: admin,
      });
      return app.body.state.connected ? app.body : undefined;
    }, `application ${id} connected`);

  const uplink = (eui: string, fCnt: number, time: Date, object: unknown) =>
    JSON.stringify({
      deduplicationId: randomUUID(),
      time: time.toISOString().replace('Z', '123456Z'),
      deviceInfo: { tenantId: randomUUID(), applicationId: csApp, devEui: eui, deviceName: 'logger' },
      devAddr: '01020304',
      fCnt,
      fPort: 2,
      data: 'AAE=',
      object,
    });

  const publish = (topic: string, body: string) => peer.publishAsync(topic, body, { qos: 1 });
  const csTopic = (eui: string, event: string) => `application/${csApp}/device/${eui}/event/${event}`;

  beforeAll(async () => {
    server = await startTestServer(ENV);
    api = new Api(server.url);
    admin = await api.tokenFor(tenantA.email('admin'));
    peer = await mqtt.connectAsync(BROKER, { clientId: `lorawan-test-${randomUUID()}` });
    chirpstack = await createApplication({
      name: 'ChirpStack pressure loggers',
      format: 'chirpstack',
      brokerUrl: BROKER,
      username: 'tidewatch',
      password: 'network-server-secret',
      networkApplicationId: csApp,
    });
    csDeviceId = await newLorawanDevice('LoRaWAN level logger');
    csDevice = await bind(csDeviceId, {
      lorawanApplicationId: chirpstack.id,
      devEui: csEui.toUpperCase(),
      mappings: MAPPINGS,
    });
    await connected(chirpstack.id);
  });

  afterAll(async () => {
    await peer.endAsync();
    await second?.close();
    await server.close();
  });

  it('keeps the broker password sealed and never returns it', async () => {
    const [row] = await adminQuery<{ password: string }>(
      'SELECT password FROM lorawan_applications WHERE id = $1',
      [chirpstack.id],
    );
    expect(row?.password.startsWith('tw1.')).toBe(true);
    expect(row?.password).not.toContain('network-server-secret');
    expect(chirpstack.hasPassword).toBe(true);
    expect(JSON.stringify(chirpstack)).not.toContain('network-server-secret');
  });

  it('stores a ChirpStack uplink once, though the network server sends it twice', async () => {
    const time = new Date(Date.now() - 60_000);
    time.setMilliseconds(0);
    const body = uplink(csEui, 7, time, { level: { cm: 182.5 }, battery: 3610 });
    await publish(csTopic(csEui, 'up'), body);
    await publish(csTopic(csEui, 'up'), body);
    const level = csDevice.mappings.find((m) => m.metricKey === 'level_cm')?.seriesId ?? 0;
    const battery = csDevice.mappings.find((m) => m.metricKey === 'battery_v')?.seriesId ?? 0;
    await waitFor(
      async () =>
        (await metricValue(
          api,
          'tidewatch_lorawan_messages_total',
          'format="chirpstack",event="uplink",outcome="duplicate"',
        )) >= 1
          ? true
          : undefined,
      'the duplicate counted',
    );
    expect(await readings(level)).toEqual([{ time: time.getTime(), value: 182.5 }]);
    expect(await readings(battery)).toEqual([{ time: time.getTime(), value: 3.61 }]);
    expect(
      await metricValue(
        api,
        'tidewatch_lorawan_messages_total',
        'format="chirpstack",event="uplink",outcome="stored"',
      ),
    ).toBe(1);
    const [state] = await adminQuery<{ count: string }>(
      'SELECT count(*) FROM lorawan_uplinks WHERE application_id = $1 AND dev_eui = $2',
      [chirpstack.id, csEui],
    );
    expect(state?.count).toBe('1');
  });

  it('counts malformed messages, unknown devices and undecodable payloads, and keeps going', async () => {
    await publish(csTopic(csEui, 'up'), '{"deviceInfo": ');
    await publish(csTopic(csEui, 'up'), JSON.stringify({ deviceInfo: { devEui: csEui }, fCnt: -3 }));
    const stranger = devEui();
    await publish(csTopic(stranger, 'up'), uplink(stranger, 1, new Date(), { level: { cm: 1 } }));
    await publish(csTopic(csEui, 'up'), uplink(csEui, 8, new Date(), { temperature: 21 }));
    await waitFor(
      async () =>
        (await metricValue(
          api,
          'tidewatch_lorawan_messages_total',
          'format="chirpstack",event="uplink",outcome="undecodable"',
        )) >= 1
          ? true
          : undefined,
      'the undecodable uplink counted',
    );
    expect(
      await metricValue(
        api,
        'tidewatch_lorawan_messages_total',
        'format="chirpstack",event="unknown",outcome="malformed"',
      ),
    ).toBe(2);
    expect(
      await metricValue(
        api,
        'tidewatch_lorawan_messages_total',
        'format="chirpstack",event="uplink",outcome="unknown_device"',
      ),
    ).toBe(1);
    // The live view shows the stranger's DevEUI, to be bound.
    const recent = await api.request<{ items: { devEui: string; outcome: string; stored: unknown }[] }>(
      'GET',
      `/api/v1/lorawan-applications/${chirpstack.id}/uplinks?limit=10`,
      { token: admin },
    );
    expect(recent.status).toBe(200);
    expect(recent.body.items.map((u) => [u.devEui, u.outcome])).toEqual(
      expect.arrayContaining([
        [stranger, 'unknown_device'],
        [csEui, 'undecodable'],
        [csEui, 'stored'],
      ]),
    );
    expect(recent.body.items.find((u) => u.outcome === 'stored')?.stored).toEqual({
      level_cm: 182.5,
      battery_v: 3.61,
    });
    // Still connected and storing.
    expect((await connected(chirpstack.id)).state.lastError).toBeNull();
  });

  it('stores the first uplink of a device bound a moment after its DevEUI was heard as unknown', async () => {
    const eui = devEui();
    const before = new Date(Date.now() - 90_000);
    before.setMilliseconds(0);
    await publish(csTopic(eui, 'up'), uplink(eui, 1, before, { level: { cm: 50 } }));
    await waitFor(async () => {
      const recent = await api.request<{ items: { devEui: string }[] }>(
        'GET',
        `/api/v1/lorawan-applications/${chirpstack.id}/uplinks?limit=20`,
        { token: admin },
      );
      return recent.body.items.some((u) => u.devEui === eui) ? true : undefined;
    }, 'the unknown uplink recorded');
    // Bound now, well before the connector's next tick reloads its devices: the next uplink is stored anyway.
    const deviceId = await newLorawanDevice('Logger bound while live');
    const bound = await bind(deviceId, {
      lorawanApplicationId: chirpstack.id,
      devEui: eui,
      mappings: MAPPINGS,
    });
    const level = bound.mappings.find((m) => m.metricKey === 'level_cm')?.seriesId ?? 0;
    const next = new Date(Date.now() - 30_000);
    next.setMilliseconds(0);
    await publish(csTopic(eui, 'up'), uplink(eui, 2, next, { level: { cm: 51.5 } }));
    await waitFor(
      async () => ((await readings(level)).length > 0 ? true : undefined),
      'the uplink stored',
      3000,
    );
    expect(await readings(level)).toEqual([{ time: next.getTime(), value: 51.5 }]);
  });

  it('records join and status events as device state', async () => {
    const joinedAt = new Date(Date.now() - 5000);
    await publish(
      csTopic(csEui, 'join'),
      JSON.stringify({
        deduplicationId: randomUUID(),
        time: joinedAt.toISOString(),
        deviceInfo: { devEui: csEui },
        devAddr: '00aabbcc',
      }),
    );
    await publish(
      csTopic(csEui, 'status'),
      JSON.stringify({
        deduplicationId: randomUUID(),
        time: new Date().toISOString(),
        deviceInfo: { devEui: csEui },
        margin: 7,
        batteryLevel: 87.5,
      }),
    );
    const state = await waitFor(async () => {
      const device = await api.request<LorawanDevice>('GET', `/api/v1/devices/${csDeviceId}/lorawan`, {
        token: admin,
      });
      return device.body.state.statusAt && device.body.state.joinedAt ? device.body.state : undefined;
    }, 'join and status recorded');
    expect(state).toMatchObject({
      devAddr: '00aabbcc',
      batteryLevel: 87.5,
      margin: 7,
      joinedAt: joinedAt.toISOString(),
    });
  });

  it('previews what a mapping would store from the uplinks received', async () => {
    const preview = await api.request<LorawanPreview>(
      'POST',
      `/api/v1/devices/${csDeviceId}/lorawan/preview`,
      {
        token: admin,
        body: {
          lorawanApplicationId: chirpstack.id,
          devEui: csEui,
          mappings: [{ path: 'level.cm', metricKey: 'level_cm', scale: 10, offset: 0 }],
        },
      },
    );
    expect(preview.status).toBe(200);
    const values = preview.body.uplinks.flatMap((u) => u.values);
    expect(values).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ raw: 182.5, mapped: 1825 }),
        expect.objectContaining({ raw: null, rejected: 'missing' }),
      ]),
    );
  });

  it('sends a command as a downlink and settles it on the ack event', async () => {
    const listener = await mqtt.connectAsync(BROKER, { clientId: `lorawan-ns-${randomUUID()}` });
    const downlinks: Buffer[] = [];
    listener.on('message', (_topic, message) => downlinks.push(message));
    await listener.subscribeAsync(`application/${csApp}/device/${csEui}/command/down`, { qos: 1 });
    const sent = await api.request<DeviceCommand>('POST', `/api/v1/devices/${csDeviceId}/commands`, {
      token: admin,
      body: { command: 'open_valve', params: { data: 'AQI=', fPort: 12 } },
    });
    expect(sent.status).toBe(202);
    const downlink = await waitFor(() => Promise.resolve(downlinks[0]), 'the downlink');
    expect(JSON.parse(downlink.toString())).toEqual({
      id: sent.body.id,
      devEui: csEui,
      confirmed: true,
      fPort: 12,
      data: 'AQI=',
    });
    const state = async () =>
      (await api.request<DeviceCommand>('GET', `/api/v1/commands/${sent.body.id}`, { token: admin })).body
        .state;
    await waitFor(async () => ((await state()) === 'delivered' ? true : undefined), 'delivered');
    // A confirmed downlink: the gateway's txack is not enough, the device's ack settles it.
    await publish(
      csTopic(csEui, 'txack'),
      JSON.stringify({ queueItemId: sent.body.id, deviceInfo: { devEui: csEui } }),
    );
    await sleep(300);
    expect(await state()).toBe('delivered');
    await publish(
      csTopic(csEui, 'ack'),
      JSON.stringify({ queueItemId: sent.body.id, acknowledged: true, deviceInfo: { devEui: csEui } }),
    );
    await waitFor(async () => ((await state()) === 'acknowledged' ? true : undefined), 'acknowledged');

    // Bad params fail the command rather than sending junk.
    const bad = await api.request<DeviceCommand>('POST', `/api/v1/devices/${csDeviceId}/commands`, {
      token: admin,
      body: { command: 'open_valve', params: { data: 'not base64!' } },
    });
    await waitFor(async () => {
      const command = await api.request<DeviceCommand>('GET', `/api/v1/commands/${bad.body.id}`, {
        token: admin,
      });
      return command.body.state === 'failed' ? command.body : undefined;
    }, 'the undeliverable command failed');
    await listener.endAsync();
  });

  it('stores The Things Stack uplinks and pushes its downlinks', async () => {
    tts = await createApplication({
      name: 'TTS meters',
      format: 'tts',
      brokerUrl: BROKER,
      networkApplicationId: ttsApp,
    });
    const deviceId = await newLorawanDevice('TTS level logger');
    const eui = devEui();
    const bound = await bind(deviceId, {
      lorawanApplicationId: tts.id,
      devEui: eui,
      mappings: MAPPINGS,
      confirmed: false,
    });
    await connected(tts.id);
    const receivedAt = new Date(Date.now() - 30_000);
    receivedAt.setMilliseconds(0);
    const body = JSON.stringify({
      end_device_ids: {
        device_id: 'tank-7',
        application_ids: { application_id: ttsApp },
        dev_eui: eui.toUpperCase(),
      },
      received_at: receivedAt.toISOString(),
      uplink_message: {
        f_port: 1,
        f_cnt: 42,
        frm_payload: 'AA==',
        decoded_payload: { level: { cm: '97.25' }, battery: 3300 },
      },
    });
    await publish(`v3/${ttsApp}/devices/tank-7/up`, body);
    await publish(`v3/${ttsApp}/devices/tank-7/up`, body);
    const level = bound.mappings.find((m) => m.metricKey === 'level_cm')?.seriesId ?? 0;
    await waitFor(async () => ((await readings(level)).length > 0 ? true : undefined), 'the TTS reading');
    await waitFor(
      async () =>
        (await metricValue(
          api,
          'tidewatch_lorawan_messages_total',
          'format="tts",event="uplink",outcome="duplicate"',
        )) >= 1
          ? true
          : undefined,
      'the TTS duplicate counted',
    );
    expect(await readings(level)).toEqual([{ time: receivedAt.getTime(), value: 97.25 }]);

    const listener = await mqtt.connectAsync(BROKER, { clientId: `lorawan-tts-${randomUUID()}` });
    const pushed: Buffer[] = [];
    listener.on('message', (_topic, message) => pushed.push(message));
    await listener.subscribeAsync(`v3/${ttsApp}/devices/tank-7/down/push`, { qos: 1 });
    const sent = await api.request<DeviceCommand>('POST', `/api/v1/devices/${deviceId}/commands`, {
      token: admin,
      body: { command: 'set_interval', params: { minutes: 15 } },
    });
    const push = JSON.parse(
      (await waitFor(() => Promise.resolve(pushed[0]), 'the TTS downlink')).toString(),
    ) as {
      downlinks: { correlation_ids: string[]; decoded_payload: unknown; confirmed: boolean }[];
    };
    expect(push.downlinks[0]).toMatchObject({
      confirmed: false,
      decoded_payload: { command: 'set_interval', minutes: 15 },
      correlation_ids: [`tidewatch:command:${sent.body.id}`],
    });
    // Unconfirmed: sent is done.
    await publish(
      `v3/${ttsApp}/devices/tank-7/down/sent`,
      JSON.stringify({
        end_device_ids: { device_id: 'tank-7', dev_eui: eui.toUpperCase() },
        correlation_ids: [`tidewatch:command:${sent.body.id}`, 'as:downlink:01H'],
        downlink_sent: { f_port: 10 },
      }),
    );
    await waitFor(async () => {
      const command = await api.request<DeviceCommand>('GET', `/api/v1/commands/${sent.body.id}`, {
        token: admin,
      });
      return command.body.state === 'acknowledged' ? true : undefined;
    }, 'the TTS command acknowledged');
    await listener.endAsync();
  });

  it('lets only one instance hold an application, and another take over when it stops', async () => {
    second = await startTestServer(ENV);
    const secondApi = new Api(second.url);
    await sleep(1000);
    const held = async (through: Api) => metricValue(through, 'tidewatch_lorawan_applications_held', '');
    expect(await held(api)).toBeGreaterThanOrEqual(2);
    expect(await held(secondApi)).toBe(0);
    const holders = await adminQuery<{ claimed_by: string }>(
      'SELECT DISTINCT claimed_by FROM lorawan_applications WHERE id = ANY($1::uuid[])',
      [[chirpstack.id, tts.id]],
    );
    expect(holders).toHaveLength(1);

    // An uplink while both run is stored once, by the holder.
    const time = new Date(Date.now() - 10_000);
    time.setMilliseconds(0);
    await publish(csTopic(csEui, 'up'), uplink(csEui, 9, time, { level: { cm: 150 }, battery: 3500 }));
    const level = csDevice.mappings.find((m) => m.metricKey === 'level_cm')?.seriesId ?? 0;
    await waitFor(async () => ((await readings(level)).length === 2 ? true : undefined), 'the third reading');
    expect(
      await metricValue(
        secondApi,
        'tidewatch_lorawan_messages_total',
        'format="chirpstack",event="uplink",outcome="stored"',
      ),
    ).toBe(0);

    await server.close();
    await waitFor(
      async () => ((await held(secondApi)) >= 2 ? true : undefined),
      'the second instance holding',
    );
    await connected(chirpstack.id, secondApi);
    const later = new Date(Date.now() - 5000);
    later.setMilliseconds(0);
    await publish(csTopic(csEui, 'up'), uplink(csEui, 10, later, { level: { cm: 151 }, battery: 3500 }));
    await waitFor(
      async () => ((await readings(level)).length === 3 ? true : undefined),
      'stored by the new holder',
    );
    // Reopen for afterAll's close.
    server = second;
    second = null;
  });
});
