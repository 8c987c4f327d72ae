import { Counter, type Registry } from 'prom-client';
import type { DomainEvents, EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { DeviceDirectory } from '../ingest/device-directory.ts';
import type { DeviceSessions } from './device-sessions.ts';
import type { DeviceSignIn } from './device-sign-in.ts';

export interface DeviceRevocationOptions {
  /** How often live sessions are checked against the database (disabled by other means: tenant, SQL). */
  readonly recheckMs: number;
}

type Reason = DomainEvents['device.changed']['change'] | 'recheck';

/**
 * Makes a device edit take effect at once on this instance, whichever instance it was made on (the realtime
 * gateway relays `device.changed` between instances): cached secrets are forgotten, so HTTP ingest checks the
 * next request against the new state, and the device's broker connections close — all of them when it was
 * disabled or removed, those signed in with an old secret when it was rotated. A periodic pass closes the
 * sessions of devices (or tenants) disabled without an event.
 */
export class DeviceRevocation {
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;
  private recheck: Promise<void> = Promise.resolve();
  private readonly closed: Counter<'reason'>;

  constructor(
    private readonly bus: EventBus,
    private readonly signIn: DeviceSignIn,
    private readonly directory: DeviceDirectory,
    private readonly sessions: DeviceSessions,
    registry: Registry,
    private readonly log: Logger,
    private readonly options: DeviceRevocationOptions,
  ) {
    this.closed = new Counter({
      name: 'device_sessions_closed_total',
      help: 'Device broker connections closed because the device was changed, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
  }

  start(): void {
    this.stopListening = this.bus.on('device.changed', (event) => {
      this.apply(event);
    });
    this.timer = setInterval(() => {
      this.recheck = this.recheckSessions().catch((error: unknown) => {
        this.log.warn({ err: error }, 'device sessions not rechecked; trying again at the next interval');
      });
    }, this.options.recheckMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopListening?.();
    clearInterval(this.timer);
    await this.recheck;
  }

  private apply(event: DomainEvents['device.changed']): void {
    this.signIn.forget(event.deviceId);
    const closed =
      event.change === 'disabled' || event.change === 'removed'
        ? this.sessions.close(event.deviceId, { all: true })
        : event.change === 'secret_rotated'
          ? this.sessions.close(event.deviceId, {
              all: false,
              credentialRotatedAt: event.credentialRotatedAt,
            })
          : 0;
    this.count(event.change, closed, event.deviceId);
  }

  /** Reads each connected device afresh and closes what no longer signs in. */
  private async recheckSessions(): Promise<void> {
    for (const deviceId of this.sessions.devices()) {
      this.directory.invalidate(deviceId);
      const device = await this.directory.get(deviceId);
      const closed =
        !device || device.disabled || device.credentialHash === null
          ? this.sessions.close(deviceId, { all: true })
          : this.sessions.close(deviceId, { all: false, credentialRotatedAt: device.credentialRotatedAt });
      this.count('recheck', closed, deviceId);
    }
  }

  private count(reason: Reason, closed: number, deviceId: string): void {
    if (closed === 0) return;
    this.closed.inc({ reason }, closed);
    this.log.info({ deviceId, reason, closed }, 'closed the connections of a changed device');
  }
}
