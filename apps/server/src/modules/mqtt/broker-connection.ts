import type { DownlinkPublisher } from '../commands/command-dispatcher.ts';

/** The server's side of MQTT, embedded broker or external one: health, downlink, shutdown. */
export interface BrokerConnection extends DownlinkPublisher {
  connected(): boolean;
  close(): Promise<void>;
}
