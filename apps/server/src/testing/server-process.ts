import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { testSecretKeyFile } from './secret-key-file.ts';

const root = path.resolve(import.meta.dirname, '../../../..');

export interface ServerProcessOptions {
  readonly port: number;
  /** The embedded broker's port (unused with MQTT_URL in `env`). */
  readonly mqttPort?: number;
  readonly databaseUrl: string;
  readonly env?: Record<string, string>;
  /** Runs the compiled server (`dist/main.js`, as `npm start` does; build it first), not its TypeScript sources. */
  readonly compiled?: boolean;
  /** Options for the server's node: a CPU profile, GC traces. */
  readonly nodeArgs?: readonly string[];
}

/**
 * The real server in a process of its own (for end-to-end and fault tests), serving the built console, so a test
 * can stop it gracefully, kill it outright, and start it again on the same addresses.
 */
export class ServerProcess {
  private child: ChildProcess | undefined;

  constructor(private readonly options: ServerProcessOptions) {}

  get url(): string {
    return `http://127.0.0.1:${String(this.options.port)}`;
  }

  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${String(this.options.mqttPort ?? 1883)}`;
  }

  /** The server's process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const entry = this.options.compiled
      ? [path.join(root, 'apps/server/dist/main.js')]
      : ['--import', 'tsx', path.join(root, 'apps/server/src/main.ts')];
    this.child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), ...entry], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        LOG_LEVEL: process.env.E2E_SERVER_LOG_LEVEL ?? 'warn',
        HOST: '127.0.0.1',
        PORT: String(this.options.port),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(this.options.mqttPort ?? 0),
        DATABASE_URL: this.options.databaseUrl,
        CONSOLE_DIR: path.join(root, 'apps/desktop/out/renderer'),
        LOGIN_RATE_LIMIT_PER_IP: '100000',
        // Every test signs in from 127.0.0.1 and the throttle's counts live in the database: lifted.
        LOGIN_THROTTLE_PAIR_FAILURES: '100000',
        LOGIN_THROTTLE_ADDRESS_FAILURES: '100000',
        LOGIN_THROTTLE_ACCOUNT_FAILURES: '100000',
        // Tests make many devices and wrong secrets from one address, and sign many in at once: device sign-in
        // limits and the hashing line are lifted unless a test sets them.
        DEVICE_SIGNIN_PAIR_FAILURES: '100000',
        DEVICE_SIGNIN_ADDRESS_FAILURES: '100000',
        DEVICE_SIGNIN_DEVICE_FAILURES: '100000',
        CREDENTIAL_CHECKS_WAITING: '100000',
        THINGSPEAK_ENABLED: 'false',
        // Tests expect the seeded network frozen: the demo simulator runs only where a test asks for it.
        SIMULATOR: 'off',
        // Yesterday's report would be made (once per database) by whichever test's server came first.
        DAILY_REPORT: 'off',
        TIDEWATCH_SECRET_KEY_FILE: await testSecretKeyFile(),
        ...this.options.env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await this.waitUntilReady();
  }

  /** SIGTERM and wait: the server drains and closes its connections. */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /** SIGKILL: no draining, nothing flushed; what was not committed or acknowledged must come again. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined)
        throw new Error(`the server exited with ${String(this.child.exitCode)}`);
      try {
        if ((await fetch(`${this.url}/health/ready`)).ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the server did not become ready within 60 s');
  }
}
