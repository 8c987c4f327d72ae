import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../logger.ts';

/** Why the embedded broker closed or refused a connection before any message of it was handled. */
export type BrokerRefusal =
  | 'packet_too_large'
  | 'malformed_header'
  | 'retain'
  | 'qos2'
  | 'connections_per_address'
  | 'connections_total'
  | 'connect_timeout'
  | 'keepalive'
  | 'client_id';

/** One warning per reason per this interval at most, with how many were not logged. */
const WARN_EVERY_MS = 10_000;

/**
 * Counts every refusal in `mqtt_refusals_total{reason}` and warns about it, at most once per reason every ten
 * seconds: a flood of bad packets or sockets would otherwise turn into a flood of log lines.
 */
export class BrokerRefusals {
  private readonly counter: Counter<'reason'>;
  private readonly lastWarned = new Map<BrokerRefusal, { at: number; unlogged: number }>();

  constructor(
    registry: Registry,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.counter = new Counter({
      name: 'mqtt_refusals_total',
      help: 'Connections the embedded MQTT broker closed or refused before handling their messages, by reason (packet_too_large, malformed_header, retain, qos2, connections_per_address, connections_total, connect_timeout, keepalive, client_id)',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
  }

  refuse(reason: BrokerRefusal, details: Record<string, unknown> = {}): void {
    this.counter.inc({ reason });
    const now = this.now();
    const last = this.lastWarned.get(reason);
    if (last && now - last.at < WARN_EVERY_MS) {
      last.unlogged += 1;
      return;
    }
    this.lastWarned.set(reason, { at: now, unlogged: 0 });
    this.log.warn(
      { ...details, reason, unloggedSinceLast: last?.unlogged ?? 0 },
      'the MQTT broker refused a connection',
    );
  }
}
