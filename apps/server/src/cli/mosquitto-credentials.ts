import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readDatabaseUrls } from '@tidewatch/db';
import pg from 'pg';
import { loadMqttLimits } from '../config.ts';
import { writeMosquittoFiles } from '../modules/mqtt/mosquitto-files.ts';
import type { MosquittoListeners } from '../modules/mqtt/mosquitto-listeners.ts';
import { maxPacketBytes } from '../modules/mqtt/packet-gate.ts';

const usage = `Writes Mosquitto's password and ACL files for every provisioned MQTT device, and tidewatch.conf
with the listeners (for include_dir <dir> in mosquitto.conf).

  npm run mqtt:credentials -- --out <dir> [--pid-file <mosquitto.pid>] [--listen [host:]port|off]
                              [--server-listen [host:]port]
                              [--tls-listen [host:]port --certfile <pem> --keyfile <pem> [--cafile <pem>]]

  --out         where to write passwd, acl and tidewatch.conf (default: ./mosquitto)
  --pid-file    Mosquitto's pid file: send it SIGHUP so it reloads passwd and acl
  --listen      the plain MQTT listener for devices (default: 1883), or off
  --server-listen  a plain listener for the server alone (e.g. 127.0.0.1:1884), without the devices' limits
                and keeping each instance's client id (needed by several instances)
  --tls-listen  an MQTT over TLS listener (e.g. 8883) with the broker's --certfile (and chain) and --keyfile;
                with --cafile every client must present a certificate signed by that CA
Environment: DATABASE_ADMIN_URL (the schema owner), MQTT_USERNAME (default tidewatch-server) and
MQTT_PASSWORD, the server's own broker account (the same values the server runs with); the limits
MQTT_MAX_PAYLOAD_BYTES, MQTT_MAX_CONNECTIONS and MQTT_MAX_KEEPALIVE_S as for the embedded broker.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'mosquitto' },
      'pid-file': { type: 'string' },
      listen: { type: 'string', default: '1883' },
      'server-listen': { type: 'string' },
      'tls-listen': { type: 'string' },
      certfile: { type: 'string' },
      keyfile: { type: 'string' },
      cafile: { type: 'string' },
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
  const listeners = listenersOf(values);
  const config = loadMqttLimits();
  const admin = new pg.Client({ connectionString: readDatabaseUrls().adminUrl });
  await admin.connect();
  try {
    const result = await writeMosquittoFiles({
      admin,
      outDir: path.resolve(values.out),
      serverUsername: process.env.MQTT_USERNAME ?? 'tidewatch-server',
      serverPassword,
      listeners: {
        at: listeners,
        limits: {
          maxPacketBytes: maxPacketBytes(config.MQTT_MAX_PAYLOAD_BYTES),
          maxConnections: config.MQTT_MAX_CONNECTIONS,
          maxKeepaliveS: config.MQTT_MAX_KEEPALIVE_S,
        },
      },
    });
    console.log(
      `Wrote ${result.passwordFile}, ${result.aclFile} and ${String(result.confFile)} for ${String(result.devices)} devices.`,
    );
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

function listenersOf(values: {
  listen: string;
  'server-listen'?: string | undefined;
  'tls-listen'?: string | undefined;
  certfile?: string | undefined;
  keyfile?: string | undefined;
  cafile?: string | undefined;
}): MosquittoListeners {
  const plain = values.listen === 'off' ? null : address(values.listen);
  const serverAddress = values['server-listen'];
  const server = serverAddress === undefined ? undefined : address(serverAddress);
  const tlsAddress = values['tls-listen'];
  if (!tlsAddress) {
    if (values.certfile ?? values.keyfile ?? values.cafile)
      throw new Error(`--certfile, --keyfile and --cafile need --tls-listen\n\n${usage}`);
    if (!plain) throw new Error(`--listen off needs --tls-listen\n\n${usage}`);
    return { plain, server };
  }
  if (!values.certfile || !values.keyfile)
    throw new Error(`--tls-listen needs --certfile and --keyfile\n\n${usage}`);
  return {
    plain,
    server,
    tls: {
      ...address(tlsAddress),
      certFile: path.resolve(values.certfile),
      keyFile: path.resolve(values.keyfile),
      clientCaFile: values.cafile && path.resolve(values.cafile),
    },
  };
}

/** `8883` or `127.0.0.1:1883`. */
function address(text: string): { port: number; host?: string } {
  const colon = text.lastIndexOf(':');
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(`not a port: ${text}\n\n${usage}`);
  return colon < 0 ? { port } : { port, host: text.slice(0, colon) };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
