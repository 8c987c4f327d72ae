import { Server } from 'socket.io';
import { preciseNow } from './histogram.ts';

// The matching limit: a Socket.IO server that does nothing but answer echoes and broadcast on request, on the
// same machine, with the same clients, so the gateway's numbers read as a ratio of what Socket.IO itself does.

interface BroadcastRequest {
  readonly count: number;
  /** 0: as fast as the server can. */
  readonly ratePerSecond: number;
  readonly payloadBytes: number;
}

const port = Number(process.env.BENCH_BARE_PORT ?? 18_082);
// A long ping timeout: the fastest broadcast holds the loop for seconds on a loaded machine, and the benchmark's
// control connection must outlive it.
const io = new Server(port, { serveClient: false, pingTimeout: 120_000 });

async function broadcast({ count, ratePerSecond, payloadBytes }: BroadcastRequest): Promise<void> {
  const payload = 'x'.repeat(payloadBytes);
  const start = preciseNow();
  for (let n = 0; n < count; n += 1) {
    if (ratePerSecond > 0) {
      const wait = start + (n * 1000) / ratePerSecond - preciseNow();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    } else if (n % 10 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    io.emit('tick', { at: preciseNow(), n, payload });
  }
}

io.on('connection', (socket) => {
  socket.on('echo', (payload: unknown, ack: (answer: unknown) => void) => {
    ack(payload);
  });
  socket.on('bench:broadcast', (request: BroadcastRequest, ack: () => void) => {
    void broadcast(request).then(ack);
  });
  socket.on('bench:memory', (ack: (rss: number) => void) => {
    ack(process.memoryUsage().rss);
  });
});
process.send?.({ type: 'listening' });
