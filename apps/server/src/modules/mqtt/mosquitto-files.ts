import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { brokerPasswordHash } from '@tidewatch/db';
import type pg from 'pg';
import {
  mosquittoListenersConf,
  type MosquittoLimits,
  type MosquittoListeners,
} from './mosquitto-listeners.ts';

export interface MosquittoFilesOptions {
  /** A connection that sees every tenant (the schema owner's): the files cover all provisioned devices. */
  readonly admin: pg.Pool | pg.Client;
  readonly outDir: string;
  /** The server's own account, which reads every device's topics and publishes commands. */
  readonly serverUsername: string;
  readonly serverPassword: string;
  /** With listeners, also `tidewatch.conf`: them, with these files and limits, for Mosquitto's `include_dir`. */
  readonly listeners?: { readonly at: MosquittoListeners; readonly limits: MosquittoLimits };
}

export interface MosquittoFilesResult {
  readonly passwordFile: string;
  readonly aclFile: string;
  /** `tidewatch.conf`, when listeners were given. */
  readonly confFile: string | null;
  readonly devices: number;
  /** MQTT devices whose secret predates broker hashes: rotate their secret to let them in. */
  readonly withoutBrokerHash: readonly string[];
}

/**
 * Writes Mosquitto's password file (PBKDF2-SHA512 hashes made when each secret was issued; the secrets
 * themselves are never stored) and an ACL file that lets each device use only its own topics, for an external
 * broker. Disabled devices and tenants are left out. Each file is replaced atomically; send Mosquitto SIGHUP to
 * reload them.
 */
export async function writeMosquittoFiles(options: MosquittoFilesOptions): Promise<MosquittoFilesResult> {
  const { rows } = await options.admin.query<{ id: string; broker_password_hash: string | null }>(
    `SELECT d.id, d.broker_password_hash
       FROM devices d JOIN tenants t ON t.id = d.tenant_id
      WHERE d.transport = 'mqtt' AND d.disabled_at IS NULL AND t.disabled_at IS NULL
      ORDER BY d.id`,
  );
  const usable = rows.filter((row) => row.broker_password_hash !== null);
  const passwd = [
    `${options.serverUsername}:${await brokerPasswordHash(options.serverPassword)}`,
    ...usable.map((row) => `${row.id}:${String(row.broker_password_hash)}`),
  ];
  const acl = [
    '# Written by Tidewatch (npm run mqtt:credentials). Devices may use only their own topics.',
    `user ${options.serverUsername}`,
    'topic read devices/+/telemetry',
    'topic read devices/+/status',
    'topic read devices/+/commands/ack',
    'topic write devices/+/commands',
    '',
    '# %u is the connecting username: a device signs in with its id.',
    'pattern write devices/%u/telemetry',
    'pattern write devices/%u/status',
    'pattern write devices/%u/commands/ack',
    'pattern read devices/%u/commands',
  ];
  await mkdir(options.outDir, { recursive: true });
  const passwordFile = path.join(options.outDir, 'passwd');
  const aclFile = path.join(options.outDir, 'acl');
  await replaceFile(passwordFile, `${passwd.join('\n')}\n`, 0o640);
  await replaceFile(aclFile, `${acl.join('\n')}\n`, 0o644);
  const confFile = options.listeners ? path.join(options.outDir, 'tidewatch.conf') : null;
  if (confFile && options.listeners) {
    const conf = mosquittoListenersConf(
      options.listeners.at,
      { passwordFile, aclFile },
      options.listeners.limits,
    );
    await replaceFile(confFile, conf, 0o644);
  }
  return {
    passwordFile,
    aclFile,
    confFile,
    devices: usable.length,
    withoutBrokerHash: rows.filter((row) => row.broker_password_hash === null).map((row) => row.id),
  };
}

/** Write beside, then rename: the broker never reads a half-written file. */
async function replaceFile(file: string, content: string, mode: number): Promise<void> {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, content, { mode });
  await chmod(temporary, mode);
  await rename(temporary, file);
}
