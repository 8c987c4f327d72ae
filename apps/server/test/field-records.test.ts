import type { Attachment, AssetTimeline, Incident, IncidentDetail, MaintenanceLog } from '@tidewatch/shared';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvents } from '../src/events/event-bus.ts';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB, tenantId } from './harness.ts';

/** Sends a file's bytes as a request body, the way the console and the field app upload. */
async function upload(
  api: Api,
  path: string,
  token: string,
  bytes: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${api.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png', ...headers },
    body: new Uint8Array(bytes),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as unknown) : null,
    headers: response.headers,
  };
}

describe('field records: attachments, maintenance logs and plans, device records', () => {
  let server: RunningServer;
  let api: Api;
  let photo: Buffer;
  let incidentId: string;
  let assetId: string;
  const due: DomainEvents['maintenance.due'][] = [];

  beforeAll(async () => {
    server = await startTestServer({ ATTACHMENT_MAX_BYTES: '200000', MAINTENANCE_REMINDER_INTERVAL_S: '1' });
    server.bus.on('maintenance.due', (event) => due.push(event));
    api = new Api(server.url);
    photo = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#2a6' } })
      .png()
      .toBuffer();
    const tenant = await tenantId(tenantA.slug);
    const [asset] = await adminQuery<{ id: string }>(
      `SELECT id FROM assets WHERE tenant_id = $1 AND archived_at IS NULL AND kind = 'tank' ORDER BY code LIMIT 1`,
      [tenant],
    );
    assetId = asset?.id ?? '';
    const opened = await api.request<Incident>('POST', '/api/v1/incidents', {
      token: await api.tokenFor(tenantA.email('operator')),
      body: { title: 'Burst at the field test', priority: 'high', assetId },
    });
    expect(opened.status).toBe(201);
    incidentId = opened.body.id;
  });
  afterAll(async () => {
    await server.close();
  });

  it('stores a photo judged from its bytes, with a thumbnail, and serves it only within the tenant', async () => {
    const operator = await api.tokenFor(tenantA.email('operator'));
    const stored = await upload(
      api,
      `/api/v1/incidents/${incidentId}/attachments?fileName=burst.png`,
      operator,
      photo,
      {
        'content-type': 'application/pdf',
      },
    );
    expect(stored.status).toBe(201);
    const attachment = stored.body as Attachment;
    expect(attachment).toMatchObject({ mediaType: 'image/png', hasThumbnail: true, fileName: 'burst.png' });

    const content = await fetch(`${server.url}/api/v1/attachments/${attachment.id}/content`, {
      headers: { authorization: `Bearer ${operator}` },
    });
    expect(content.status).toBe(200);
    expect(Buffer.from(await content.arrayBuffer()).equals(photo)).toBe(true);
    expect(content.headers.get('content-type')).toBe('image/png');
    expect(content.headers.get('x-content-type-options')).toBe('nosniff');
    expect(content.headers.get('content-disposition')).toMatch(/^inline; filename="burst.png"/);
    expect(content.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    const thumbnail = await fetch(`${server.url}/api/v1/attachments/${attachment.id}/thumbnail`, {
      headers: { authorization: `Bearer ${operator}` },
    });
    const thumb = await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(['jpeg', 320, 240]);

    // Another tenant's users, and a user of another zone, find nothing.
    for (const token of [
      await api.tokenFor(tenantB.email('admin')),
      await api.tokenFor(tenantB.email('operator')),
    ]) {
      for (const path of ['', '/content', '/thumbnail']) {
        const answer = await api.request('GET', `/api/v1/attachments/${attachment.id}${path}`, { token });
        expect(answer.status, path).toBe(404);
      }
    }
  });

  it('refuses markup and unknown types with 415 and oversized files with 413, as problem+json', async () => {
    const operator = await api.tokenFor(tenantA.email('operator'));
    const path = `/api/v1/incidents/${incidentId}/attachments`;
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const html = Buffer.from('<!DOCTYPE html><script>alert(1)</script>');
    const fakePng = Buffer.concat([photo.subarray(0, 16), Buffer.from('not really a png')]);
    for (const bytes of [svg, html, fakePng]) {
      const answer = await upload(api, path, operator, bytes);
      expect(answer.status).toBe(415);
      expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    const big = await upload(api, path, operator, Buffer.concat([photo, Buffer.alloc(300_000)]));
    expect(big.status).toBe(413);
    const viewer = await upload(api, path, await api.tokenFor(tenantA.email('viewer')), photo);
    expect(viewer.status).toBe(403);
    const foreign = await upload(api, path, await api.tokenFor(tenantB.email('operator')), photo);
    expect(foreign.status).toBe(404);
  });

  it('puts uploaded photos on a note, and applies a note sent twice with one Idempotency-Key once', async () => {
    const operator = await api.tokenFor(tenantA.email('operator'));
    const stored = await upload(
      api,
      `/api/v1/incidents/${incidentId}/attachments?fileName=valve.png`,
      operator,
      photo,
    );
    const attachment = stored.body as Attachment;
    const send = () =>
      api.request<Incident>('POST', `/api/v1/incidents/${incidentId}/notes`, {
        token: operator,
        headers: { 'idempotency-key': 'note-key-0001' },
        body: { body: 'Valve replaced; photo attached.', attachmentIds: [attachment.id] },
      });
    const first = await send();
    const again = await send();
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await api.request('POST', `/api/v1/incidents/${incidentId}/notes`, {
      token: operator,
      headers: { 'idempotency-key': 'note-key-0001' },
      body: { body: 'A different note' },
    });
    expect(other.status).toBe(409);
    const detail = await api.request<IncidentDetail>('GET', `/api/v1/incidents/${incidentId}`, {
      token: operator,
    });
    const notes = detail.body.notes.filter((n) => n.body === 'Valve replaced; photo attached.');
    expect(notes).toHaveLength(1);
    expect(detail.body.attachments.find((a) => a.id === attachment.id)?.incidentNoteId).toBe(notes[0]?.id);
  });

  it('lets the maintenance role log work on an asset, which shows in its timeline', async () => {
    const maintenance = await api.tokenFor(tenantA.email('maintenance'));
    const started = new Date(Date.now() - 7_200_000).toISOString();
    const logged = await api.request<MaintenanceLog>('POST', `/api/v1/assets/${assetId}/maintenance-logs`, {
      token: maintenance,
      body: {
        workDone: 'Replaced float switch',
        partsUsed: 'float switch FS-2',
        startedAt: started,
        finishedAt: new Date().toISOString(),
      },
    });
    expect(logged.status).toBe(201);
    const refused = await api.request('POST', `/api/v1/assets/${assetId}/maintenance-logs`, {
      token: await api.tokenFor(tenantA.email('operator')),
      body: { workDone: 'x', startedAt: started },
    });
    expect(refused.status).toBe(403);
    const photoOnLog = await upload(
      api,
      `/api/v1/maintenance-logs/${logged.body.id}/attachments`,
      maintenance,
      photo,
    );
    expect(photoOnLog.status).toBe(201);
    const timeline = await api.request<AssetTimeline>('GET', `/api/v1/assets/${assetId}/timeline`, {
      token: await api.tokenFor(tenantA.email('viewer')),
    });
    expect(timeline.status).toBe(200);
    expect(timeline.body.items.find((e) => e.id === logged.body.id)).toMatchObject({
      kind: 'maintenance',
      detail: 'Replaced float switch\nParts: float switch FS-2',
    });
    const foreign = await api.request('GET', `/api/v1/assets/${assetId}/timeline`, {
      token: await api.tokenFor(tenantB.email('admin')),
    });
    expect(foreign.status).toBe(404);
  });

  it('reminds once when planned maintenance comes due, and moves a recurring plan on when work completes it', async () => {
    const maintenance = await api.tokenFor(tenantA.email('maintenance'));
    const plan = await api.request<{ id: string; dueAt: string }>(
      'POST',
      `/api/v1/assets/${assetId}/maintenance-plans`,
      {
        token: maintenance,
        body: {
          title: 'Clean the tank',
          dueAt: new Date(Date.now() + 3_600_000).toISOString(),
          remindBeforeS: 7200,
          intervalDays: 90,
        },
      },
    );
    expect(plan.status).toBe(201);
    await expect.poll(() => due.filter((e) => e.plan.id === plan.body.id).length, { timeout: 5000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(due.filter((e) => e.plan.id === plan.body.id)).toHaveLength(1);
    const done = await api.request('POST', `/api/v1/assets/${assetId}/maintenance-logs`, {
      token: maintenance,
      body: {
        workDone: 'Tank cleaned',
        startedAt: new Date().toISOString(),
        maintenancePlanId: plan.body.id,
      },
    });
    expect(done.status).toBe(201);
    const after = await api.request<{ dueAt: string; completedAt: string | null }>(
      'GET',
      `/api/v1/maintenance-plans/${plan.body.id}`,
      { token: maintenance },
    );
    expect(Date.parse(after.body.dueAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect(after.body.completedAt).toBeNull();
  });
});
