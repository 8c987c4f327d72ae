import { createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import type { Logger } from '../../logger.ts';
import { QueueFullError } from '../ingest/ingest-queue.ts';
import type { IngestService } from '../ingest/ingest-service.ts';
import type { BrokerConnection } from './broker-connection.ts';
import type { DeviceInbox } from './device-inbox.ts';
import { commandTopic, parseDeviceTopic } from './device-topics.ts';

export interface EmbeddedBrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxPayloadBytes: number;
}

export interface RunningBroker extends BrokerConnection {
  readonly port: number;
  readonly broker: Aedes;
}

const BAD_CREDENTIALS = 4;

/**
 * The MQTT broker for a first run, in the server's own process: devices sign in with their id and secret, may
 * publish only under `devices/{their id}/` and subscribe only to their commands. A QoS 1 reading is acknowledged
 * (PUBACK) only once it is committed.
 */
export async function startEmbeddedBroker(
  options: EmbeddedBrokerOptions,
  ingest: IngestService,
  inbox: DeviceInbox,
  log: Logger,
): Promise<RunningBroker> {
  const deviceOf = new WeakMap<Client, string>();
  const refuse = (reason: string): void => {
    ingest.metrics.refused.inc({ transport: 'mqtt', reason });
  };

  const broker = await Aedes.createBroker({
    drainTimeout: 30_000,
    authenticate: (client, username, password, done) => {
      void ingest.directory.authenticate(username ?? '', password?.toString('utf8') ?? '').then(
        (device) => {
          if (!device) {
            refuse('auth');
            const error = Object.assign(new Error('Bad device id or secret'), {
              returnCode: BAD_CREDENTIALS,
            });
            done(error, false);
            return;
          }
          deviceOf.set(client, device.id);
          done(null, true);
        },
        (error: unknown) => {
          log.error({ err: error }, 'device authentication failed');
          done(Object.assign(new Error('Server unavailable'), { returnCode: 3 }), false);
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
      inbox.receive(topic.deviceId, topic.kind, Buffer.from(packet.payload)).then(
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

  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ port }, 'embedded MQTT broker listening');
  return {
    port,
    broker,
    connected: () => server.listening && !broker.closed,
    publish: (topic, payload) =>
      new Promise<void>((resolve, reject) => {
        broker.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        broker.close();
      }),
  };
}
