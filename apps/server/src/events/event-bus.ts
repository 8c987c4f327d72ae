import { EventEmitter } from 'node:events';

export interface StoredReading {
  readonly seriesId: number;
  /** Epoch milliseconds. */
  readonly time: number;
  readonly value: number;
}

/** Everything the server tells its own parts (alert engine, realtime gateway) as it happens. */
export interface DomainEvents {
  /** Readings committed to the database (duplicates excluded), one event per device and batch. */
  'telemetry.stored': {
    readonly tenantId: string;
    readonly deviceId: string;
    readonly readings: readonly StoredReading[];
  };
  /** A device's connectivity changed. */
  'device.connectivity': {
    readonly tenantId: string;
    readonly deviceId: string;
    readonly connectivity: 'online' | 'offline';
    readonly at: number;
  };
}

/**
 * The one in-process event interface. Listeners run synchronously in emit order and must not throw;
 * a listener that needs I/O starts it and handles its own errors.
 */
export class EventBus {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  on<K extends keyof DomainEvents>(name: K, listener: (event: DomainEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  emit<K extends keyof DomainEvents>(name: K, event: DomainEvents[K]): void {
    this.emitter.emit(name, event);
  }
}
