import {
  DEFAULT_DEMO_DEVICE_SECRET,
  DEFAULT_DEMO_PASSWORD,
  DEMO_SUPER_ADMIN_EMAIL,
  demoEmail,
  demoTenants,
  demoUserRoles,
} from '@tidewatch/db/testing';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '@tidewatch/shared';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { ApiClient } from '../src/api-client.ts';
import { reportResults } from '../src/results.ts';
import {
  fingerprint,
  footprintOf,
  leaksIn,
  sampleIds,
  type TenantFootprint,
  type TenantIds,
} from '../src/tenant-data.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
const [tenantB, tenantA] = demoTenants;

interface Watcher {
  readonly name: string;
  readonly socket: ClientSocket;
  readonly received: string[];
  tenantId: string | undefined;
}

/** Sends one request and waits for its acknowledgement. */
function request<E extends keyof ClientToServerEvents>(
  socket: ClientSocket,
  event: E,
  payload: Parameters<ClientToServerEvents[E]>[0],
): Promise<Ack<unknown>> {
  return new Promise((resolve) => {
    (socket.emit as (event: string, payload: unknown, ack: (answer: Ack<unknown>) => void) => void)(
      event,
      payload,
      resolve,
    );
  });
}

describe("cross-tenant sweep over Socket.IO: tenant A's sockets against tenant B", () => {
  let server: RunningServer;
  let api: ApiClient;
  let db: AdminDb;
  let idsB: TenantIds;
  let footprintB: TenantFootprint;
  let tenantBId: string;
  const watchers: Watcher[] = [];
  const crossed: string[] = [];
  let attempts = 0;

  const connect = async (name: string, auth: Record<string, string>): Promise<Watcher> => {
    const socket: ClientSocket = io(server.url, {
      auth,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const watcher: Watcher = { name, socket, received: [], tenantId: undefined };
    socket.onAny((event: string, payload: unknown) => {
      watcher.received.push(`${event} ${JSON.stringify(payload)}`);
      if (event === 'session:ready') watcher.tenantId = (payload as { tenantId: string }).tenantId;
    });
    for (let waited = 0; watcher.tenantId === undefined && waited < 200; waited += 1)
      await new Promise((resolve) => setTimeout(resolve, 25));
    if (watcher.tenantId === undefined) throw new Error(`${name}: no session:ready`);
    watchers.push(watcher);
    return watcher;
  };

  beforeAll(async () => {
    server = await startSecurityServer({ REALTIME_COALESCE_MS: '20' });
    api = new ApiClient(server.url);
    db = new AdminDb();
    tenantBId = await db.tenantId(tenantB.slug);
    idsB = await sampleIds(db, tenantBId);
    footprintB = await footprintOf(db, tenantBId);
    for (const { local } of demoUserRoles) {
      const token = (await api.login(demoEmail(local, tenantA))).accessToken;
      await connect(local, { token });
      if (local === 'admin') await connect('admin asking for B', { token, tenantId: tenantBId });
    }
    const root = (await api.login(DEMO_SUPER_ADMIN_EMAIL, DEFAULT_DEMO_PASSWORD)).accessToken;
    await connect('super_admin watching A', { token: root, tenantId: await db.tenantId(tenantA.slug) });
  });

  afterAll(async () => {
    await reportResults('socket-cross-tenant', {
      sockets: watchers.map((w) => w.name),
      attempts,
      crossed: crossed.length,
      samples: crossed.slice(0, 20),
    });
    for (const watcher of watchers) watcher.socket.disconnect();
    await api.close();
    await db.close();
    await server.close();
  });

  it('puts every socket of A in A, whatever tenant it asks for', async () => {
    const tenantAId = await db.tenantId(tenantA.slug);
    expect(watchers.map((w) => [w.name, w.tenantId])).toEqual(watchers.map((w) => [w.name, tenantAId]));
  });

  it("subscribes nobody to B's series and lets nobody act on B's alerts", async () => {
    const before = await fingerprint(db, tenantBId);
    for (const watcher of watchers) {
      attempts += 5;
      const subscribed = await request(watcher.socket, 'telemetry:subscribe', { seriesIds: [idsB.series] });
      if (subscribed.ok && !(subscribed.data as { refused: number[] }).refused.includes(idsB.series))
        crossed.push(`${watcher.name} subscribed to B's series`);
      const actions = [
        await request(watcher.socket, 'alert:acknowledge', { id: idsB.alert, comment: 'from A' }),
        await request(watcher.socket, 'alert:shelve', { id: idsB.alert, durationS: 600, reason: 'from A' }),
        await request(watcher.socket, 'alert:comment', { id: idsB.alert, comment: 'from A' }),
      ];
      for (const answer of actions) {
        if (answer.ok) crossed.push(`${watcher.name} acted on B's alert`);
        else if (![403, 404].includes(answer.problem.status))
          crossed.push(`${watcher.name}: ${String(answer.problem.status)} ${answer.problem.type}`);
      }
      const resync = await request(watcher.socket, 'alerts:resync', { after: 0, limit: 1000 });
      const leaks = leaksIn(JSON.stringify(resync), footprintB);
      if (leaks.length > 0) crossed.push(`${watcher.name} resync shows ${leaks.slice(0, 2).join(', ')}`);
    }
    expect(crossed).toEqual([]);
    expect(await fingerprint(db, tenantBId)).toEqual(before);
  });

  it("sends none of B's live events to A: readings, alert changes, device status", async () => {
    const seriesB = await db.one<{ id: number; device_id: string; key: string; value: number }>(
      `SELECT s.id, s.device_id, m.key, coalesce(m.valid_min, 0)::float8 AS value
         FROM series s JOIN metrics m ON m.id = s.metric_id JOIN devices d ON d.id = s.device_id
        WHERE s.tenant_id = $1 AND d.transport = 'mqtt' AND d.disabled_at IS NULL ORDER BY s.id LIMIT 1`,
      [tenantBId],
    );
    const operatorB = (await api.login(demoEmail('operator', tenantB))).accessToken;
    const own = await connect('B operator (control)', { token: operatorB });
    await request(own.socket, 'telemetry:subscribe', { seriesIds: [seriesB.id] });
    const start = watchers.map((w) => w.received.length);

    // Things happen in B: a reading, a comment on an alert, a device going offline.
    await api.expect(202, 'POST', '/api/v1/ingest', {
      headers: {
        authorization: `Basic ${Buffer.from(`${seriesB.device_id}:${DEFAULT_DEMO_DEVICE_SECRET}`).toString('base64')}`,
      },
      body: { values: { [seriesB.key]: seriesB.value } },
    });
    await api.expect(201, 'POST', `/api/v1/alerts/${idsB.alert}/comments`, {
      token: operatorB,
      body: { comment: 'seen from B' },
    });
    for (let waited = 0; !own.received.some((r) => r.startsWith('telemetry')) && waited < 200; waited += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));

    // The control socket in B saw it happen, so silence in A means isolation, not a quiet server.
    expect(own.received.some((r) => r.startsWith('telemetry'))).toBe(true);
    watchers.forEach((watcher, index) => {
      if (watcher === own) return;
      for (const event of watcher.received.slice(start[index])) {
        const leaks = leaksIn(event.slice(event.indexOf(' ') + 1), footprintB);
        if (leaks.length > 0 || event.includes(`[${String(seriesB.id)},`))
          crossed.push(`${watcher.name} received ${event.slice(0, 160)}`);
      }
    });
    expect(crossed).toEqual([]);
  });
});
