import net, { type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const DECLARED = 25 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x20);

interface Outcome {
  /** The status line's code, or null when none came. */
  readonly status: number | null;
  readonly msToAnswer: number;
  /** Body bytes the client managed to hand to its socket before the server closed the connection. */
  readonly sent: number;
}

/**
 * Sends a request declaring a 25 MB JSON body over a raw socket and keeps writing it as fast as the connection
 * takes it, reading the answer meanwhile, until the server closes or the body is all sent.
 */
function postHuge(url: string, path: string, headers: Record<string, string> = {}): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = performance.now();
    const socket: Socket = net.connect(Number(port), hostname);
    let sent = 0;
    let answer = '';
    let msToAnswer = Number.NaN;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      socket.destroy();
      resolve({ status: status ? Number(status) : null, msToAnswer, sent });
    };
    const pump = (): void => {
      while (sent < DECLARED && !socket.destroyed) {
        sent += CHUNK.length;
        if (!socket.write(CHUNK)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.on('data', (data) => {
      if (answer === '') msToAnswer = performance.now() - started;
      answer += data.toString('latin1');
    });
    socket.on('error', finish);
    socket.on('close', finish);
    // A server that reads the whole body would take far longer than this to answer.
    setTimeout(finish, 15_000).unref();
    const head = [
      `POST ${path} HTTP/1.1`,
      `Host: ${hostname}`,
      'Content-Type: application/json',
      `Content-Length: ${String(DECLARED)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
    socket.write(head, pump);
  });
}

describe('bodies from senders not yet known', () => {
  let server: RunningServer;
  /** Bytes the server read on each connection, request line and headers included. */
  const bytesRead: Socket[] = [];

  beforeAll(async () => {
    server = await startSecurityServer();
    server.server.on('connection', (socket: Socket) => bytesRead.push(socket));
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['a signed-in route', '/api/v1/alerts/acknowledge', {}],
    ['an import', '/api/v1/assets/import', { authorization: 'Bearer not-a-token-at-all' }],
    [
      'HTTP ingest with a wrong device secret',
      '/api/v1/ingest',
      { authorization: 'Basic bm8tc3VjaDpkZXZpY2U=' },
    ],
  ])('refuse 25 MB sent to %s with 401 at once, reading almost none of it', async (_what, path, headers) => {
    const rssBefore = process.memoryUsage().rss;
    const connections = bytesRead.length;

    const outcome = await postHuge(server.url, path, headers);

    const socket = bytesRead[connections];
    expect(outcome.status).toBe(401);
    expect(outcome.msToAnswer).toBeLessThan(2000);
    // What the server took in: headers plus what the parser had buffered, not the 25 MB.
    expect(socket?.bytesRead ?? Infinity).toBeLessThan(256 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(32 * 1024 * 1024);
  });

  it('keep the sign-in body small: 25 MB to /auth/login is refused as too large without being read', async () => {
    const connections = bytesRead.length;

    const outcome = await postHuge(server.url, '/api/v1/auth/login');

    expect(outcome.status).toBe(413);
    expect(bytesRead[connections]?.bytesRead ?? Infinity).toBeLessThan(256 * 1024);
  });
});
