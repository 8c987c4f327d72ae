import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The binaries of the machine's PostgreSQL major version, for which PostGIS is installed. */
async function binDir(machineAdminUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: machineAdminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return `/usr/lib/postgresql/${String(Math.floor(Number(rows[0]?.v) / 10_000))}/bin`;
  } finally {
    await client.end();
  }
}

/**
 * The command as the cluster's owner: PostgreSQL refuses to run as root, so under root it runs as `postgres`
 * (the machine's server is never touched: the cluster lives in a folder and on a port of its own).
 */
function asOwner(command: string, args: readonly string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, [...args]];
}

export interface ScratchCluster {
  /** The folder holding the data directories, the backup repository and the logs. */
  readonly dir: string;
  readonly bin: string;
  /** A superuser URL of the cluster on `port`, for database `db`. */
  urlOf(port: number, db?: string): string;
  /** initdb into `dataDir` (under `dir`). */
  init(dataDir: string): Promise<void>;
  /** Starts the cluster in `dataDir` on `port` and waits until it accepts connections. */
  start(dataDir: string, port: number): Promise<void>;
  restart(dataDir: string, port: number): Promise<void>;
  stop(dataDir: string): Promise<void>;
  /** Stops whatever it started and removes the folder. */
  remove(): Promise<void>;
}

/** A PostgreSQL cluster of a test's own in a temporary folder, owned by the user PostgreSQL runs as. */
export async function createScratchCluster(machineAdminUrl: string): Promise<ScratchCluster> {
  const bin = await binDir(machineAdminUrl);
  const dir = await mkdtemp(path.join(tmpdir(), 'tidewatch-drill-'));
  if (process.getuid?.() === 0) {
    const ids = await run('id', ['-u', 'postgres']);
    const group = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(ids.stdout.trim()), Number(group.stdout.trim()));
  }
  const started = new Set<string>();
  const pgCtl = async (args: string[]): Promise<void> => {
    const [command, full] = asOwner(path.join(bin, 'pg_ctl'), args);
    await run(command, full, { timeout: 120_000 });
  };
  // Options on the command line: a restored copy of postgresql.conf keeps the settings it was backed up with.
  const options = (port: number): string =>
    `-p ${String(port)} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off`;
  const cluster: ScratchCluster = {
    dir,
    bin,
    urlOf: (port, db = 'postgres') => `postgresql://postgres@127.0.0.1:${String(port)}/${db}`,
    async init(dataDir) {
      const [command, args] = asOwner(path.join(bin, 'initdb'), [
        '-D',
        path.join(dir, dataDir),
        '-U',
        'postgres',
        '--auth=trust',
        '--no-sync',
        '-E',
        'UTF8',
      ]);
      await run(command, args, { timeout: 120_000 });
    },
    async start(dataDir, port) {
      const data = path.join(dir, dataDir);
      await pgCtl(['-D', data, '-l', `${data}.log`, '-w', '-t', '120', '-o', options(port), 'start']);
      started.add(data);
    },
    async restart(dataDir, port) {
      const data = path.join(dir, dataDir);
      await pgCtl(['-D', data, '-l', `${data}.log`, '-w', '-t', '120', '-o', options(port), 'restart']);
    },
    async stop(dataDir) {
      const data = path.join(dir, dataDir);
      await pgCtl(['-D', data, '-m', 'immediate', '-w', 'stop']);
      started.delete(data);
    },
    async remove() {
      for (const data of started)
        await pgCtl(['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
