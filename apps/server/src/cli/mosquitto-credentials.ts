import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readDatabaseUrls } from '@tidewatch/db';
import pg from 'pg';
import { writeMosquittoFiles } from '../modules/mqtt/mosquitto-files.ts';

const usage = `Writes Mosquitto's password and ACL files for every provisioned MQTT device.

  npm run mqtt:credentials -- --out <dir> [--pid-file <mosquitto.pid>]

  --out        where to write passwd and acl (default: ./mosquitto)
  --pid-file   Mosquitto's pid file: send it SIGHUP so it reloads the files
Environment: DATABASE_ADMIN_URL (the schema owner), MQTT_USERNAME (default tidewatch-server) and
MQTT_PASSWORD, the server's own broker account (the same values the server runs with).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'mosquitto' },
      'pid-file': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const serverPassword = process.env.MQTT_PASSWORD;
  if (!serverPassword)
    throw new Error(`MQTT_PASSWORD must be set (the server's broker password)\n\n${usage}`);
  const admin = new pg.Client({ connectionString: readDatabaseUrls().adminUrl });
  await admin.connect();
  try {
    const result = await writeMosquittoFiles({
      admin,
      outDir: path.resolve(values.out),
      serverUsername: process.env.MQTT_USERNAME ?? 'tidewatch-server',
      serverPassword,
    });
    console.log(`Wrote ${result.passwordFile} and ${result.aclFile} for ${String(result.devices)} devices.`);
    if (result.withoutBrokerHash.length > 0) {
      console.warn(
        `${String(result.withoutBrokerHash.length)} MQTT devices have no broker hash yet (provisioned before it existed); rotate their secrets: ${result.withoutBrokerHash.join(', ')}`,
      );
    }
    const pidFile = values['pid-file'];
    if (pidFile) {
      const pid = Number((await readFile(pidFile, 'utf8')).trim());
      process.kill(pid, 'SIGHUP');
      console.log(`Told Mosquitto (pid ${String(pid)}) to reload.`);
    }
  } finally {
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
