import type { DeviceCommand } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

interface Batch {
  commands: { id: string; command: string; params: Record<string, unknown>; expiresAt: string }[];
}

describe('HTTP devices fetch and acknowledge their commands', () => {
  let server: RunningServer;
  let api: Api;
  let operator: string;
  let admin: string;
  const created: string[] = [];

  async function provision(transport: 'http' | 'mqtt'): Promise<{ id: string; basic: string }> {
    const response = await api.request<{ device: { id: string }; secret: string }>(
      'POST',
      '/api/v1/devices',
      {
        token: admin,
        body: { name: `${transport} commands`, transport },
      },
    );
    expect(response.status).toBe(201);
    created.push(response.body.device.id);
    const basic = Buffer.from(`${response.body.device.id}:${response.body.secret}`).toString('base64');
    return { id: response.body.device.id, basic };
  }

  const fetchCommands = (basic: string, waitS: number) =>
    api.request<Batch>('GET', `/api/v1/device/commands?waitS=${String(waitS)}`, {
      headers: { authorization: `Basic ${basic}` },
    });

  const send = (deviceId: string, command = 'open_valve') =>
    api.request<DeviceCommand>('POST', `/api/v1/devices/${deviceId}/commands`, {
      token: operator,
      body: { command, params: { percent: 40 } },
    });

  const commandState = async (id: string) =>
    (await api.request<DeviceCommand>('GET', `/api/v1/commands/${id}`, { token: operator })).body.state;

  beforeAll(async () => {
    server = await startTestServer({ HTTP_COMMAND_MAX_WAIT_S: '3' });
    api = new Api(server.url);
    operator = await api.tokenFor(tenantA.email('supervisor'));
    admin = await api.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await server.close();
    await adminQuery('DELETE FROM device_commands WHERE device_id = ANY($1::uuid[])', [created]);
    await adminQuery('DELETE FROM devices WHERE id = ANY($1::uuid[])', [created]);
  });

  it('hands a command queued during the wait to the waiting device at once, and only once', async () => {
    const device = await provision('http');
    expect((await fetchCommands(device.basic, 0)).body).toEqual({ commands: [] });
    const started = Date.now();
    const waiting = fetchCommands(device.basic, 30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sent = await send(device.id);
    expect(sent.status).toBe(202);
    const fetched = await waiting;
    expect(fetched.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(fetched.body.commands).toEqual([
      { id: sent.body.id, command: 'open_valve', params: { percent: 40 }, expiresAt: sent.body.expiresAt },
    ]);
    expect(await commandState(sent.body.id)).toBe('delivered');
    expect((await fetchCommands(device.basic, 0)).body.commands).toEqual([]);

    const ack = await api.request('POST', '/api/v1/device/commands/ack', {
      headers: { authorization: `Basic ${device.basic}` },
      body: { id: sent.body.id, status: 'ok', result: { percent: 40 } },
    });
    expect(ack.status).toBe(200);
    expect(await commandState(sent.body.id)).toBe('acknowledged');
    const again = await api.request('POST', '/api/v1/device/commands/ack', {
      headers: { authorization: `Basic ${device.basic}` },
      body: { id: sent.body.id, status: 'error', message: 'late' },
    });
    expect(again.status).toBe(409);
    expect(await commandState(sent.body.id)).toBe('acknowledged');
  });

  it('hands out commands queued before the fetch in order, and records a failure the device reports', async () => {
    const device = await provision('http');
    const first = await send(device.id, 'first');
    const second = await send(device.id, 'second');
    const fetched = await fetchCommands(device.basic, 5);
    expect(fetched.body.commands.map((c) => c.id)).toEqual([first.body.id, second.body.id]);
    const failed = await api.request('POST', '/api/v1/device/commands/ack', {
      headers: { authorization: `Basic ${device.basic}` },
      body: { id: second.body.id, status: 'error', message: 'valve jammed' },
    });
    expect(failed.status).toBe(200);
    const row = (
      await api.request<DeviceCommand>('GET', `/api/v1/commands/${second.body.id}`, { token: operator })
    ).body;
    expect(row).toMatchObject({ state: 'failed', failureReason: 'valve jammed' });
  });

  it('bounds the wait by the server’s limit and ends an older wait of the same device', async () => {
    const device = await provision('http');
    const started = Date.now();
    const older = fetchCommands(device.basic, 120);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const newer = fetchCommands(device.basic, 120);
    expect((await older).body.commands).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await newer).body.commands).toEqual([]);
    // HTTP_COMMAND_MAX_WAIT_S is 3 here, whatever the device asks for.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  });

  it('refuses wrong credentials, other devices’ commands and MQTT devices', async () => {
    const device = await provision('http');
    const other = await provision('http');
    const mqtt = await provision('mqtt');
    const wrong = Buffer.from(`${device.id}:not-the-secret`).toString('base64');
    expect((await fetchCommands(wrong, 0)).status).toBe(401);
    expect((await fetchCommands(mqtt.basic, 0)).status).toBe(409);
    const sent = await send(device.id);
    const stolen = await api.request('POST', '/api/v1/device/commands/ack', {
      headers: { authorization: `Basic ${other.basic}` },
      body: { id: sent.body.id, status: 'ok' },
    });
    expect(stolen.status).toBe(409);
    expect((await fetchCommands(other.basic, 0)).body.commands).toEqual([]);
    expect(await commandState(sent.body.id)).toBe('pending');
  });
});
