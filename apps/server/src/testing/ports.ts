import { createServer } from 'node:net';

/** A TCP port free right now on 127.0.0.1, for a server or broker a test starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}
