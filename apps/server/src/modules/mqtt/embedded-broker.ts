import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket, type SecureContextOptions } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import type { Registry } from 'prom-client';
import type { Logger } from '../../logger.ts';
import type { DeviceAuth } from '../device-auth/device-auth.ts';
import { signInAddress, type DeviceSignInResult } from '../device-auth/device-sign-in.ts';
import { QueueFullError } from '../ingest/ingest-queue.ts';
import type { IngestService } from '../ingest/ingest-service.ts';
import type { BrokerConnection } from './broker-connection.ts';
import { BrokerRefusals } from './broker-refusals.ts';
import { ConnectionCaps, type ConnectionCapLimits } from './connection-caps.ts';
import { checkDeviceCertificate } from './device-certificate.ts';
import type { DeviceInbox } from './device-inbox.ts';
import { commandTopic, parseDeviceTopic } from './device-topics.ts';
import { CONNECT_MAX_PACKET_BYTES, maxPacketBytes, PacketGate } from './packet-gate.ts';

export interface EmbeddedBrokerOptions {
  readonly host: string;
  /** The plain-text listener; null for none. */
  readonly port: number | null;
  readonly maxPayloadBytes: number;
  readonly connections: ConnectionCapLimits;
  /** A CONNECT asking a longer keepalive, or none, is refused. */
  readonly maxKeepaliveS: number;
  /** For the whole CONNECT to arrive, and for a TLS handshake. */
  readonly connectTimeoutMs: number;
  readonly tls?: BrokerTlsOptions;
}

export interface BrokerTlsOptions {
  readonly port: number;
  /** Certificate and key; with `ca`, the CA device certificates must be signed by. */
  readonly context: SecureContextOptions;
  /** Devices on this listener must present a certificate of `context.ca` naming them (see checkDeviceCertificate). */
  readonly requireDeviceCertificate: boolean;
}

export interface RunningBroker extends BrokerConnection {
  /** The plain-text listener's port, or null. */
  readonly port: number | null;
  readonly tlsPort: number | null;
  readonly broker: Aedes;
  /** New certificate, key and device CA for connections from now on (SIGHUP). */
  setTlsContext(context: SecureContextOptions): void;
}

const SERVER_UNAVAILABLE = 3;
const IDENTIFIER_REJECTED = 2;
const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;
/** aedes' CONNACK code for a keepalive over its limit (MQTT 3.1.1 reserves codes above 5). */
const KEEPALIVE_REFUSED = 6;

/**
 * The MQTT broker for a first run, in the server's own process: devices sign in with their id and secret, may
 * publish only under `devices/{their id}/` and subscribe only to their commands. A QoS 1 reading is acknowledged
 * (PUBACK) only once it is committed.
 */
export async function startEmbeddedBroker(
  options: EmbeddedBrokerOptions,
  ingest: IngestService,
  inbox: DeviceInbox,
  registry: Registry,
  log: Logger,
  auth: DeviceAuth,
): Promise<RunningBroker> {
  const deviceOf = new WeakMap<Client, string>();
  const refuse = (reason: string): void => {
    ingest.metrics.refused.inc({ transport: 'mqtt', reason });
  };
  const refusals = new BrokerRefusals(registry, log);
  const caps = new ConnectionCaps(options.connections);

  const broker = await Aedes.createBroker({
    drainTimeout: 30_000,
    connectTimeout: options.connectTimeoutMs,
    keepaliveLimit: options.maxKeepaliveS,
    authenticate: (client, username, password, done) => {
      const gate = client.conn instanceof PacketGate ? client.conn : null;
      // Checked before anything else, and before aedes looks for a client of the same id to take over.
      if (client.id !== username) {
        refusals.refuse('client_id', { clientId: client.id.slice(0, 64), deviceId: username?.slice(0, 64) });
        done(
          Object.assign(new Error('The client id must be the device id'), {
            returnCode: IDENTIFIER_REJECTED,
          }),
          false,
        );
        return;
      }
      // aedes holds the CONNECT's last will here until the client is authenticated.
      const will = (client as unknown as { _will?: { retain?: boolean; qos?: number } | null })._will;
      if (will && (will.retain === true || (will.qos ?? 0) >= 2)) {
        refusals.refuse(will.retain === true ? 'retain' : 'qos2', { deviceId: username, will: true });
        done(
          Object.assign(new Error('No retained or QoS 2 last will'), { returnCode: NOT_AUTHORIZED }),
          false,
        );
        return;
      }
      if (options.tls?.requireDeviceCertificate && gate?.socket instanceof TLSSocket) {
        const verdict = checkDeviceCertificate(gate.socket, username);
        if (verdict !== 'accepted') {
          refuse('client_certificate');
          log.warn({ deviceId: username, verdict }, 'refused a device without its own client certificate');
          done(
            Object.assign(new Error('Client certificate required'), { returnCode: NOT_AUTHORIZED }),
            false,
          );
          return;
        }
      }
      const address = signInAddress(gate ? gate.socket.remoteAddress : undefined);
      void auth.signIn.signIn('mqtt', address, username, password?.toString('utf8') ?? '').then(
        (result) => {
          if (result.outcome !== 'accepted') {
            refuse(result.outcome === 'busy' ? 'busy' : 'auth');
            done(signInRefusal(result.outcome), false);
            return;
          }
          deviceOf.set(client, result.device.id);
          // Rotating or disabling the device ends this connection (DeviceRevocation).
          const untrack = auth.sessions.track(result.device.id, result.credentialRotatedAt, () => {
            client.close();
          });
          if (client.conn.destroyed) untrack();
          else client.conn.once('close', untrack);
          gate?.authenticated();
          done(null, true);
        },
        (error: unknown) => {
          log.error({ err: error }, 'device authentication failed');
          done(Object.assign(new Error('Server unavailable'), { returnCode: SERVER_UNAVAILABLE }), false);
        },
      );
    },
    authorizeSubscribe: (client, subscription, done) => {
      const deviceId = deviceOf.get(client);
      if (deviceId && subscription.topic === commandTopic(deviceId)) {
        done(null, subscription);
        return;
      }
      refuse('forbidden_topic');
      done(new Error(`Not allowed to subscribe to ${subscription.topic}`));
    },
    authorizePublish: (client, packet, done) => {
      const topic = parseDeviceTopic(packet.topic);
      // client is null for a last will published after its client left; it was checked when it connected.
      const deviceId = client ? deviceOf.get(client) : topic?.deviceId;
      if (!topic || topic.deviceId !== deviceId) {
        refuse('forbidden_topic');
        log.warn({ topic: packet.topic, deviceId }, 'refused a publish outside the device’s own topics');
        done(new Error('Not allowed to publish there'));
        return;
      }
      // The parser's own Buffer (a view of bytes read from the socket, which nothing writes again), not a copy.
      const body = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      inbox.receive(topic.deviceId, topic.kind, body).then(
        (outcome) => {
          done(outcome === 'refused' ? new Error('Device unknown or disabled') : null);
        },
        (error: unknown) => {
          // No PUBACK: the device keeps the message and sends it again after reconnecting.
          if (!(error instanceof QueueFullError))
            log.error({ err: error, deviceId }, 'could not handle an MQTT message');
          done(error instanceof Error ? error : new Error(String(error)));
        },
      );
    },
  });

  broker.on('connectionError', (_client, error: Error & { errorCode?: number }) => {
    if (error.errorCode === KEEPALIVE_REFUSED) refusals.refuse('keepalive');
    else if (error.message === 'connect did not arrive in time') refusals.refuse('connect_timeout');
  });

  const limits = {
    beforeAuth: CONNECT_MAX_PACKET_BYTES,
    afterAuth: maxPacketBytes(options.maxPayloadBytes),
  };
  /** Every socket, plain or (once its handshake is done) TLS, reaches aedes through a packet gate. */
  const handle = (socket: Socket): void => {
    broker.handle(
      new PacketGate(socket, limits, (reason) => {
        refusals.refuse(reason, { address: socket.remoteAddress });
      }),
    );
  };
  /** Counted on the raw socket, before a TLS handshake. */
  const admit = (socket: Socket): void => {
    const verdict = caps.admit(socket);
    if (verdict === 'admitted') return;
    refusals.refuse(verdict === 'total' ? 'connections_total' : 'connections_per_address', {
      address: socket.remoteAddress,
    });
    socket.destroy();
  };

  const plain =
    options.port === null
      ? null
      : await listen(
          createServer((socket) => {
            admit(socket);
            if (!socket.destroyed) handle(socket);
          }),
          options.port,
          options.host,
        );
  const tls = options.tls
    ? await listen(
        createTlsServer(
          // Refused in `authenticate` rather than in the handshake, so the device hears why and it is counted.
          {
            ...options.tls.context,
            requestCert: options.tls.requireDeviceCertificate,
            rejectUnauthorized: false,
            handshakeTimeout: options.connectTimeoutMs,
          },
          handle,
        )
          .prependListener('connection', admit)
          // Also a handshake not done within connectTimeoutMs, which Node reports but leaves open.
          .on('tlsClientError', (_error, socket) => {
            refuse('tls_handshake');
            socket.destroy();
          }),
        options.tls.port,
        options.host,
      )
    : null;
  const servers = [plain, tls].filter((server) => server !== null);
  const port = plain ? portOf(plain) : null;
  const tlsPort = tls ? portOf(tls) : null;
  log.info({ port, tlsPort }, 'embedded MQTT broker listening');
  return {
    port,
    tlsPort,
    broker,
    setTlsContext: (context) => {
      tls?.setSecureContext(context);
    },
    connected: () => servers.every((server) => server.listening) && !broker.closed,
    publish: (topic, payload) =>
      new Promise<void>((resolve, reject) => {
        broker.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
    close: async () => {
      const closed = servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => {
              resolve();
            });
          }),
      );
      broker.close();
      await Promise.all(closed);
    },
  };
}

/** CONNACK 3 when the hashing line is full (try again later); 4 for anything else, held attempts included. */
function signInRefusal(outcome: DeviceSignInResult['outcome']): Error & { returnCode: 3 | 4 } {
  return outcome === 'busy'
    ? Object.assign(new Error('Server busy'), { returnCode: SERVER_UNAVAILABLE } as const)
    : Object.assign(new Error('Bad device id or secret'), { returnCode: BAD_CREDENTIALS } as const);
}

/** Every listener of the broker opens here, plain or TLS. */
async function listen<S extends Server>(server: S, port: number, host: string): Promise<S> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}

function portOf(server: Server): number {
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the MQTT listener has no port');
  return address.port;
}
