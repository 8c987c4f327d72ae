import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { writeMosquittoFiles } from '../modules/mqtt/mosquitto-files.ts';
import type { MosquittoLimits, MosquittoListeners } from '../modules/mqtt/mosquitto-listeners.ts';
import { maxPacketBytes } from '../modules/mqtt/packet-gate.ts';
import { freePort } from './ports.ts';

export const SERVER_MQTT_PASSWORD = 'test-server-broker-password';

/** The embedded broker's defaults. */
export const TEST_MOSQUITTO_LIMITS: MosquittoLimits = {
  maxPacketBytes: maxPacketBytes(262_144),
  maxConnections: 10_000,
  maxKeepaliveS: 600,
};

/** A real Mosquitto of the test's own, configured from the files our CLI writes. */
export interface TestMosquitto {
  /** The devices' plain listener. */
  readonly port: number;
  readonly url: string;
  /** The server's own listener (the server's MQTT_URL). */
  readonly serverUrl: string;
  /** `mqtts://` of the TLS listener, when started with one. */
  readonly tlsUrl: string | null;
  readonly dir: string;
  /** Rewrites the password and ACL files from the database and makes Mosquitto reload them. */
  reloadCredentials(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${String(port)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function writeCredentials(adminUrl: string, dir: string, listeners: MosquittoListeners): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await writeMosquittoFiles({
      admin,
      outDir: dir,
      serverUsername: 'tidewatch-server',
      serverPassword: SERVER_MQTT_PASSWORD,
      listeners: { at: listeners, limits: TEST_MOSQUITTO_LIMITS },
    });
  } finally {
    await admin.end();
  }
}

/**
 * Starts `mosquitto` (for tests and benchmarks) on a free port with persistence in a temporary folder (kept across
 * stop/start), its listeners, password and ACL files written by our CLI's code from the database at `adminUrl`.
 * With `tls`, also an MQTT over TLS listener (requiring client certificates when `clientCaFile` is given).
 */
export async function startMosquitto(
  adminUrl: string,
  options: { tls?: { certFile: string; keyFile: string; clientCaFile?: string } } = {},
): Promise<TestMosquitto> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tidewatch-mosquitto-'));
  const port = await freePort();
  const serverPort = await freePort();
  const tlsPort = options.tls ? await freePort() : null;
  const listeners: MosquittoListeners = {
    plain: { port, host: '127.0.0.1' },
    server: { port: serverPort, host: '127.0.0.1' },
    ...(options.tls && tlsPort !== null && { tls: { ...options.tls, port: tlsPort, host: '127.0.0.1' } }),
  };
  // Apart from mosquitto.conf, which include_dir would otherwise read as well.
  const credentials = path.join(dir, 'tidewatch');
  await writeCredentials(adminUrl, credentials, listeners);
  const config = path.join(dir, 'mosquitto.conf');
  await writeFile(
    config,
    [
      `include_dir ${credentials}`,
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 1',
      'max_queued_messages 0',
      'max_inflight_messages 0',
      // Root in CI: stay root so the 0640 files stay readable.
      'user root',
      'log_dest none',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const mosquitto: TestMosquitto = {
    port,
    url: `mqtt://127.0.0.1:${String(port)}`,
    serverUrl: `mqtt://127.0.0.1:${String(serverPort)}`,
    tlsUrl: tlsPort === null ? null : `mqtts://127.0.0.1:${String(tlsPort)}`,
    dir,
    async reloadCredentials() {
      await writeCredentials(adminUrl, credentials, listeners);
      child?.kill('SIGHUP');
      await new Promise((resolve) => setTimeout(resolve, 300));
    },
    async start() {
      child = spawn('mosquitto', ['-c', config], { stdio: 'ignore' });
      await Promise.all([waitForPort(port), waitForPort(serverPort)]);
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
  };
  await mosquitto.start();
  return mosquitto;
}

export async function removeMosquitto(mosquitto: TestMosquitto): Promise<void> {
  await mosquitto.stop();
  await rm(mosquitto.dir, { recursive: true, force: true });
}
