/**
 * A webhook receiver that answers 200 and then streams a body that never ends (up to 1 GiB, as fast as the
 * client reads), run in a process of its own so the server's memory can be measured apart from it. Prints
 * `{"port"}` once listening and, for each connection that closes, `{"written","closedAfterMs"}`.
 * Usage: node --import tsx test/endless-receiver.ts <host>
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const LIMIT = 1024 ** 3;
const chunk = Buffer.alloc(64 * 1024, 'x');

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const started = Date.now();
    let written = 0;
    const pump = (): void => {
      while (!res.destroyed && written < LIMIT) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    res.on('close', () => {
      console.log(JSON.stringify({ written, closedAfterMs: Date.now() - started }));
    });
    pump();
  });
});
server.listen(0, process.argv[2] ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
