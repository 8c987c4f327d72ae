import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { accessLog, requestWatcher, type AccessLogOptions } from './access-log.ts';
import { requestId } from './request-id.ts';

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  method?: string;
  url?: string;
  status?: number;
  durationMs?: number;
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A real HTTP server with the access log in front of a few routes; the log's JSON lines are collected. */
async function serve(options: AccessLogOptions) {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Line);
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const app = express();
  app.use(requestId);
  app.use(accessLog(requestWatcher(log, options)));
  app.get('/ok', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/boom', (_req, res) => {
    res.status(500).json({ ok: false });
  });
  app.get('/busy', (_req, res) => {
    res.status(503).json({ ok: false });
  });
  app.get('/slow', (_req, res) => {
    setTimeout(() => res.json({ ok: true }), 30);
  });
  app.get(['/health/live', '/metrics'], (_req, res) => {
    res.send('up');
  });
  const server = app.listen(0);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  closers.push(() => server.close());
  const base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  return {
    lines,
    async get(path: string, headers: Record<string, string> = {}) {
      const response = await fetch(base + path, { headers });
      await response.arrayBuffer();
      // The line is written when the response closes, just after the client has it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return response;
    },
  };
}

describe('the access log', () => {
  it('writes one JSON line per request with the request id, method, url, status and duration', async () => {
    const server = await serve({ sampleRate: 1, slowMs: 1000 });

    const response = await server.get('/ok?page=2', { 'x-request-id': 'trace-12345678' });

    expect(response.headers.get('x-request-id')).toBe('trace-12345678');
    expect(server.lines).toHaveLength(1);
    expect(server.lines[0]).toMatchObject({
      level: 30,
      msg: 'request',
      reqId: 'trace-12345678',
      method: 'GET',
      url: '/ok?page=2',
      status: 200,
    });
    expect(server.lines[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('always logs server errors and slow requests, and samples the rest', async () => {
    const server = await serve({ sampleRate: 0, slowMs: 25 });

    await server.get('/ok');
    await server.get('/boom');
    await server.get('/busy');
    await server.get('/slow');

    expect(server.lines.map((line) => [line.url, line.status, line.level])).toEqual([
      ['/boom', 500, 50],
      ['/busy', 503, 40],
      ['/slow', 200, 40],
    ]);
    expect(server.lines.every((line) => typeof line.reqId === 'string' && line.reqId.length > 0)).toBe(true);
  });

  it('keeps the share of ordinary requests it is given', async () => {
    const draws = [0.5, 0.005, 0.02, 0.009];
    const server = await serve({ sampleRate: 0.01, slowMs: 1000, random: () => draws.shift() ?? 1 });

    for (const page of [1, 2, 3, 4]) await server.get(`/ok?page=${String(page)}`);

    expect(server.lines.map((line) => line.url)).toEqual(['/ok?page=2', '/ok?page=4']);
  });

  it('skips health probes and metrics scrapes', async () => {
    const server = await serve({ sampleRate: 1, slowMs: 1000 });

    await server.get('/health/live');
    await server.get('/metrics');

    expect(server.lines).toEqual([]);
  });
});
