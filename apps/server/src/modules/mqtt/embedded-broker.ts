import { createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { QueueFullError } from '../ingest/ingest-queue.ts';
import type { IngestService } from '../ingest/ingest-service.ts';
import { parseTelemetryMessage } from './device-message.ts';
import { commandTopic, parseDeviceTopic } from './device-topics.ts';

export interface EmbeddedBrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxPayloadBytes: number;
}

export interface RunningBroker {
  readonly port: number;
  readonly broker: Aedes;
  connected(): boolean;
  close(): Promise<void>;
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
  bus: EventBus,
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
      if (topic.kind !== 'telemetry') {
        if (topic.kind === 'status') {
          void ingest.directory.get(topic.deviceId).then((device) => {
            const status = packet.payload.toString('utf8').trim();
            if (device && (status === 'online' || status === 'offline')) {
              bus.emit('device.connectivity', {
                tenantId: device.tenantId,
                deviceId: device.id,
                connectivity: status,
                at: Date.now(),
              });
            }
          });
        }
        done(null);
        return;
      }
      const parsed = parseTelemetryMessage(Buffer.from(packet.payload), options.maxPayloadBytes);
      if (!parsed.ok) {
        // Sending it again would not make it valid: acknowledge, drop, and say so.
        refuse(parsed.reason);
        log.warn({ deviceId, reason: parsed.reason }, 'dropped a telemetry message');
        done(null);
        return;
      }
      void ingest.directory
        .get(topic.deviceId)
        .then(async (device) => {
          if (!device || device.disabled) {
            refuse('auth');
            done(new Error('Device unknown or disabled'));
            return;
          }
          await ingest.ingest(device, parsed.payload, 'mqtt');
          done(null);
        })
        .catch((error: unknown) => {
          // No PUBACK: the device keeps the message and sends it again after reconnecting.
          if (!(error instanceof QueueFullError))
            log.error({ err: error, deviceId }, 'could not store an MQTT message');
          done(error instanceof Error ? error : new Error(String(error)));
        });
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        broker.close();
      }),
  };
}
