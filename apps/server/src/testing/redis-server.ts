import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import type { CertificateFiles } from './test-certificates.ts';
import { freePort } from './ports.ts';

/** A `redis-server` of the test's own, without persistence. */
export interface TestRedisServer {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts redis-server on a free port; with `password` it requires AUTH, with `tls` it listens for TLS only
 * (clients are not asked for certificates: the password authenticates them).
 */
export async function startRedisServer(
  options: { password?: string; tls?: CertificateFiles & { readonly caFile: string } } = {},
): Promise<TestRedisServer> {
  const port = await freePort();
  const args = ['--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'];
  if (options.password) args.push('--requirepass', options.password);
  if (options.tls) {
    args.push('--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no');
    args.push('--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile);
    args.push('--tls-ca-cert-file', options.tls.caFile);
  } else {
    args.push('--port', String(port));
  }
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${String(child.exitCode)}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${String(port)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(port, '127.0.0.1');
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => {
      resolve(false);
    });
  });
}
