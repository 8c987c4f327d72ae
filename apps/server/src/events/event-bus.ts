import type { Alert, CommandState, Incident, MaintenancePlan } from '@tidewatch/shared';
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
  /** A downlink command was queued or moved on (delivered, acknowledged, failed, expired). */
  'command.changed': {
    readonly tenantId: string;
    readonly deviceId: string;
    readonly commandId: string;
    readonly state: CommandState;
  };
  /**
   * An alert changed (raised, returned, acknowledged, shelved, escalated...), after its transaction committed.
   * `sequence` is per tenant and follows commit order; GET /alerts/changes?after= replays what a client missed.
   */
  'alert.changed': {
    readonly tenantId: string;
    readonly zoneId: string | null;
    readonly sequence: number;
    readonly alert: Alert;
  };
  /**
   * Someone's authority changed: a user's role, zones or password, a disabled user, a session ended. Sockets are
   * checked again at once instead of at their next interval. `userId` null: anyone of the tenant may be affected.
   */
  'access.changed': {
    /** Null for a super admin, who belongs to no tenant. */
    readonly tenantId: string | null;
    readonly userId: string | null;
  };
  /**
   * A device was changed after its transaction committed: its secret rotated, disabled or enabled, or otherwise
   * edited. Relayed to the other instances (`relayed` true there), so each ends the device's connections and
   * forgets its cached secret at once.
   */
  'device.changed': {
    readonly tenantId: string;
    readonly deviceId: string;
    readonly change: 'secret_rotated' | 'disabled' | 'enabled' | 'updated' | 'removed';
    /** The device's current secret version (epoch ms of its last rotation), or null if never rotated. */
    readonly credentialRotatedAt: number | null;
    /** This event came from another instance and is not to be relayed again. */
    readonly relayed: boolean;
  };
  /** A tenant's alarm flood began or ended. */
  'alert.flood': {
    readonly tenantId: string;
    readonly active: boolean;
    /** New alerts in the flood window. */
    readonly count: number;
    /** Epoch milliseconds. */
    readonly at: number;
  };
  /** An incident was opened or changed (status, assignee, linked alerts, notes, closing). */
  'incident.changed': {
    readonly tenantId: string;
    readonly incident: Incident;
  };
  /** Planned maintenance came to its reminder time (once per due date), for the asset's zone. */
  'maintenance.due': {
    readonly tenantId: string;
    readonly zoneId: string | null;
    readonly plan: MaintenancePlan;
  };
  /** A rule was created, changed or deleted: the alert engine reloads the tenant's rules. */
  'alert_rule.changed': {
    readonly tenantId: string;
    readonly ruleId: string;
  };
  /** The tags of an asset or device changed: rules that watch a tag may now cover other targets. */
  'tags.changed': {
    readonly tenantId: string;
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
