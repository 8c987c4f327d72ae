import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Attachment, Incident } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseS3Url } from '../src/modules/attachments/blob-store.ts';
import type { RunningServer } from '../src/server.ts';
import { freePort } from '../src/testing/ports.ts';
import { adminQuery, Api, startTestServer, tenantA, tenantB } from './harness.ts';

// A real S3-compatible peer over HTTP: moto's server, where the machine has it (pip's moto[server]).
const hasMoto = spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasMoto)('attachments in S3-compatible storage (S3_URL)', () => {
  let moto: ChildProcess;
  let server: RunningServer | undefined;
  const url = (): string => server?.url ?? '';
  let api: Api;
  let s3Url: string;

  beforeAll(async () => {
    const port = await freePort();
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    s3Url = `http://test-key:test-secret@127.0.0.1:${String(port)}/tidewatch-attachments`;
    const { config, bucket } = parseS3Url(s3Url);
    const client = new S3Client(config);
    // Until moto listens.
    for (let attempt = 0; ; attempt += 1) {
      const created = await client.send(new CreateBucketCommand({ Bucket: bucket })).then(
        () => true,
        () => false,
      );
      if (created) break;
      if (attempt > 80) throw new Error('moto_server did not start');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    client.destroy();
    server = await startTestServer({ S3_URL: s3Url });
    api = new Api(server.url);
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    moto.kill();
  });

  it('puts the bytes in the bucket, not the row, and serves them back only within the tenant', async () => {
    const operator = await api.tokenFor(tenantA.email('operator'));
    const incident = await api.request<Incident>('POST', '/api/v1/incidents', {
      token: operator,
      body: { title: 'S3 attachment', priority: 'low' },
    });
    const pdf = Buffer.from('%PDF-1.4\n% a report\n%%EOF\n');
    const response = await fetch(`${url()}/api/v1/incidents/${incident.body.id}/attachments?fileName=r.pdf`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(pdf),
    });
    expect(response.status).toBe(201);
    const attachment = (await response.json()) as Attachment;
    const { config, bucket } = parseS3Url(s3Url);
    const client = new S3Client(config);
    const [row] = await adminQuery<{ storage: string; storage_key: string; in_row: boolean }>(
      'SELECT storage, storage_key, content IS NOT NULL AS in_row FROM attachments WHERE id = $1',
      [attachment.id],
    );
    expect(row).toMatchObject({ storage: 's3', in_row: false });
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: row?.storage_key }));
    expect(head.ContentLength).toBe(pdf.length);
    client.destroy();
    const content = await fetch(`${url()}/api/v1/attachments/${attachment.id}/content`, {
      headers: { authorization: `Bearer ${operator}` },
    });
    expect(content.status).toBe(200);
    expect(content.headers.get('content-disposition')).toMatch(/^attachment; filename="r.pdf"/);
    expect(Buffer.from(await content.arrayBuffer()).equals(pdf)).toBe(true);
    const foreign = await api.request('GET', `/api/v1/attachments/${attachment.id}/content`, {
      token: await api.tokenFor(tenantB.email('admin')),
    });
    expect(foreign.status).toBe(404);
  });
});
