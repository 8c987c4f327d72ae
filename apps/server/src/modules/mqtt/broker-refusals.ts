import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../logger.ts';
import { ThrottledWarning } from '../../throttled-warning.ts';

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

/**
 * Counts every refusal in `mqtt_refusals_total{reason}` and warns about it, at most once per reason every ten
 * seconds: a flood of bad packets or sockets would otherwise turn into a flood of log lines.
 */
export class BrokerRefusals {
  private readonly counter: Counter<'reason'>;
  private readonly warning: ThrottledWarning;

  constructor(registry: Registry, log: Logger) {
    this.warning = new ThrottledWarning(log, 'the MQTT broker refused a connection');
    this.counter = new Counter({
      name: 'mqtt_refusals_total',
      help: 'Connections the embedded MQTT broker closed or refused before handling their messages, by reason (packet_too_large, malformed_header, retain, qos2, connections_per_address, connections_total, connect_timeout, keepalive, client_id)',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
  }

  refuse(reason: BrokerRefusal, details: Record<string, unknown> = {}): void {
    this.counter.inc({ reason });
    this.warning.warn(reason, details);
  }
}
