import { isRetryableDatabaseError } from '@tidewatch/db';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../logger.ts';
import { QueueFullError } from '../ingest/ingest-queue.ts';
import type { IngestMetrics } from '../ingest/ingest-metrics.ts';
import type { BrokerConnection } from './broker-connection.ts';
import type { DeviceInbox } from './device-inbox.ts';
import { parseDeviceTopic } from './device-topics.ts';
import { OrderedAcks } from './ordered-acks.ts';

export interface ExternalBrokerOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string | undefined;
  /** Stable across restarts, so the broker keeps this instance's session and what it has not acknowledged. */
  readonly clientId: string;
  /** Empty: plain subscriptions (one instance). */
  readonly shareGroup: string;
  /** For mqtts://: the broker's CA (else the system's), and this server's client certificate and key. */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
}

/** How long the broker keeps this instance's session (and queues its messages) while it is away. */
const SESSION_EXPIRY_S = 86_400;
/** How many unacknowledged messages the broker may have in flight to us. */
const RECEIVE_MAXIMUM = 2000;
const QUEUE_FULL_RETRY_MS = 250;
const DATABASE_RETRY_MAX_MS = 5000;

/**
 * How long to hold a message that could not be handled (unacknowledged: the broker keeps it and slows down)
 * before trying again; null when trying again cannot help.
 */
function holdFor(error: unknown, attempt: number): number | null {
  // The queue, or this device's or tenant's share of it, is full.
  if (error instanceof QueueFullError) return QUEUE_FULL_RETRY_MS;
  // The database is away or busy (a device lookup failed or timed out): a message is never acknowledged unstored.
  if (isRetryableDatabaseError(error))
    return Math.min(DATABASE_RETRY_MAX_MS, QUEUE_FULL_RETRY_MS * 2 ** Math.min(attempt - 1, 5));
  return null;
}

/** Marks a message whose PUBACK is sent later, by us; see `connectExternalBroker`. */
class DeferredAck extends Error {}

/**
 * Connects to an external broker (Mosquitto); with a share group, as one member of a shared subscription, so several
 * instances split the devices' messages. The broker authenticates devices and enforces their topics (see the CLI that writes its
 * password and ACL files); the server still checks that a topic's device exists and is enabled.
 *
 * A QoS 1 message is acknowledged only after it is committed. mqtt.js handles one incoming packet at a time and
 * would wait for each commit before reading the next; so its custom-ack hook hands the message on and tells
 * mqtt.js to carry on without a PUBACK (a failed custom ack sends none), and the PUBACK goes out when the
 * message is stored, in arrival order. A message not acknowledged when the connection drops comes again.
 */
export function connectExternalBroker(
  options: ExternalBrokerOptions,
  inbox: DeviceInbox,
  metrics: IngestMetrics,
  log: Logger,
): BrokerConnection {
  let closing = false;
  const inFlight = new Set<Promise<void>>();
  const handle = async (topicName: string, body: Buffer): Promise<void> => {
    const topic = parseDeviceTopic(topicName);
    if (!topic) {
      metrics.refused.inc({ transport: 'mqtt', reason: 'forbidden_topic' });
      return;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        const outcome = await inbox.receive(topic.deviceId, topic.kind, body);
        if (outcome === 'refused') {
          log.warn({ deviceId: topic.deviceId }, 'dropped a message of an unknown or disabled device');
        }
        return;
      } catch (error) {
        // Closing: unacknowledged, the broker keeps it for this instance's next session.
        if (closing) throw error;
        const delayMs = holdFor(error, attempt);
        if (delayMs === null) {
          // Sending it again cannot help (what the database refused of this message alone the inbox dropped):
          // count it, say so, and let it go.
          metrics.refused.inc({ transport: 'mqtt', reason: 'store_failed' });
          log.error({ err: error, deviceId: topic.deviceId }, 'could not handle an MQTT message; dropped');
          return;
        }
        if (attempt === 1 && !(error instanceof QueueFullError))
          log.warn(
            { err: error, deviceId: topic.deviceId },
            'holding an MQTT message until the database is back',
          );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  };

  const track = (work: Promise<void>): Promise<void> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    return work;
  };

  const client: MqttClient = mqtt.connect(options.url, {
    protocolVersion: 5,
    clientId: options.clientId,
    username: options.username,
    ...(options.password === undefined ? {} : { password: options.password }),
    ...options.tls,
    clean: false,
    properties: { sessionExpiryInterval: SESSION_EXPIRY_S, receiveMaximum: RECEIVE_MAXIMUM },
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    resubscribe: false,
    customHandleAcks: (topic, message, packet: { messageId?: number }, done) => {
      if (closing || packet.messageId === undefined) {
        // Not ours to take now: unacknowledged, it stays with the broker.
        done(new DeferredAck());
        return;
      }
      const finished = acks.receive(packet.messageId);
      track(handle(topic, message)).then(finished, () => undefined);
      done(new DeferredAck());
    },
  });

  const acks = new OrderedAcks((messageId) => {
    // Only on the connection the message came on; after a reconnect the broker sends it again.
    if (!client.connected) return;
    (client as unknown as { _sendPacket(packet: object): void })._sendPacket({
      cmd: 'puback',
      messageId,
      reasonCode: 0,
    });
  });

  client.on('message', (topic, message, packet) => {
    // QoS 0 only: QoS 1 messages are handled (and acknowledged) in customHandleAcks.
    if (packet.qos === 0 && !closing) void track(handle(topic, message)).catch(() => undefined);
  });
  client.on('connect', (connack) => {
    log.info(
      { url: redact(options.url), sessionPresent: connack.sessionPresent },
      'connected to the MQTT broker',
    );
    // Subscribe even when the session is present: some brokers do not restore shared subscriptions from their
    // persistence after a restart, and subscribing again changes nothing where they did.
    const group = options.shareGroup ? `$share/${options.shareGroup}/devices/+` : 'devices/+';
    client
      .subscribeAsync({
        [`${group}/telemetry`]: { qos: 1 },
        [`${group}/status`]: { qos: 1 },
        [`${group}/commands/ack`]: { qos: 1 },
      })
      .then((granted) => {
        const refused = granted.filter((grant) => grant.qos > 2);
        if (refused.length > 0) log.error({ refused }, 'the broker refused some device topic subscriptions');
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'could not subscribe to the device topics');
      });
  });
  client.on('close', () => {
    acks.reset();
  });
  client.on('error', (error) => {
    if (error instanceof DeferredAck) return;
    log.warn({ err: error }, 'MQTT broker connection error');
  });

  return {
    connected: () => client.connected,
    publish: async (topic, payload) => {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    close: async () => {
      closing = true;
      // Messages being stored are acknowledged before the connection ends; the rest the broker keeps.
      await Promise.allSettled([...inFlight]);
      await client.endAsync();
    },
  };
}

function redact(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}
