import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { OpcuaBindingState } from '@tidewatch/shared';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { IngestService } from '../ingest/ingest-service.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { BindingLeases } from './binding-leases.ts';
import { clientIdentity, type ClientIdentity } from './client-identity.ts';
import { OpcuaCommandLifecycle } from './opcua-commands.ts';
import { createOpcuaMetrics, type OpcuaMetrics } from './opcua-metrics.ts';
import { OpcuaSession, type SessionOptions } from './opcua-session.ts';

export interface OpcuaConnectorOptions extends SessionOptions {
  /** Bindings this instance holds at most. */
  readonly maxSessions: number;
  readonly tickMs: number;
  readonly leaseMs: number;
}

const COMMANDS_PER_TICK = 100;

/**
 * Holds OPC UA bindings of every tenant, each under a lease in the database so that exactly one instance keeps
 * a session to an endpoint. Every tick renews the leases it holds (a binding saved again, disabled or removed
 * loses its claim, and its session is closed), claims bindings nobody holds, and carries the pending commands
 * of its devices. Stopping closes the sessions and gives the bindings up, for another instance to take at once.
 */
export class OpcuaConnector {
  readonly metrics: OpcuaMetrics;
  private readonly leases: BindingLeases;
  private readonly lifecycle: OpcuaCommandLifecycle;
  private readonly sessions = new Map<string, OpcuaSession>();
  private readonly identities = new Map<string, Promise<ClientIdentity>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private running = false;
  private lastTickError = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ingest: IngestService,
    private readonly bus: EventBus,
    registry: Registry,
    private readonly log: Logger,
    private readonly secrets: SecretBox,
    private readonly options: OpcuaConnectorOptions,
  ) {
    this.leases = new BindingLeases(pool, `${hostname()}:${String(process.pid)}:${randomUUID().slice(0, 8)}`);
    this.lifecycle = new OpcuaCommandLifecycle(pool, bus);
    this.metrics = createOpcuaMetrics(registry, () => this.stateCounts());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // A command sent through this instance for a device it holds goes at once; others wait for the tick.
    this.unsubscribe = this.bus.on('command.changed', (event) => {
      if (
        event.state === 'pending' &&
        [...this.sessions.values()].some((s) => s.binding.deviceId === event.deviceId)
      )
        this.schedule(0);
    });
    this.schedule(0);
    this.log.info('OPC UA connector started');
  }

  /** Closes every session (storing what each holds, up to `graceMs`) and releases the leases. */
  async stop(graceMs = 10_000): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(sessions.map((session) => session.close(graceMs)));
    try {
      await this.leases.release(sessions.map((session) => session.binding.claimToken));
    } catch (error) {
      this.log.warn({ err: error }, 'could not release the OPC UA bindings; their leases run out instead');
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running || this.ticking) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        if (this.running && !this.timer) this.schedule(this.options.tickMs);
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    try {
      await this.renew();
      await this.claim();
      await this.carryCommands();
    } catch (error) {
      // Once a minute is enough to say the database is away; every tick tries again.
      if (Date.now() - this.lastTickError > 60_000) {
        this.lastTickError = Date.now();
        this.log.error({ err: error }, 'OPC UA connector could not reach the database; retrying');
      }
    }
  }

  private async renew(): Promise<void> {
    const held = [...this.sessions.keys()];
    if (held.length === 0) return;
    const still = await this.leases.renew(held, this.options.leaseMs);
    for (const token of held) {
      if (still.has(token)) continue;
      const session = this.sessions.get(token);
      this.sessions.delete(token);
      if (!session) continue;
      this.log.info(
        { bindingId: session.binding.bindingId },
        'OPC UA binding changed or taken away; closing its session',
      );
      void session.close().catch((error: unknown) => {
        this.log.warn({ err: error }, 'an OPC UA session did not close cleanly');
      });
    }
  }

  private async claim(): Promise<void> {
    const room = this.options.maxSessions - this.sessions.size;
    if (room <= 0) return;
    const claimed = await this.leases.claim(room, this.options.leaseMs);
    for (const binding of claimed) {
      const session = new OpcuaSession(binding, {
        pool: this.pool,
        ingest: this.ingest,
        leases: this.leases,
        metrics: this.metrics,
        commands: this.lifecycle,
        secrets: this.secrets,
        identity: (tenantId) => this.identity(tenantId),
        log: this.log,
        options: this.options,
      });
      this.sessions.set(binding.claimToken, session);
      session.start();
    }
  }

  private async carryCommands(): Promise<void> {
    const pending = await this.leases.pendingCommands([...this.sessions.keys()], COMMANDS_PER_TICK);
    for (const command of pending) this.sessions.get(command.claimToken)?.execute(command);
  }

  /** The tenant's client certificate, made once; a failure is forgotten so the next connection tries again. */
  private identity(tenantId: string): Promise<ClientIdentity> {
    let identity = this.identities.get(tenantId);
    if (!identity) {
      identity = clientIdentity(this.pool, this.secrets, tenantId);
      identity.catch(() => this.identities.delete(tenantId));
      this.identities.set(tenantId, identity);
    }
    return identity;
  }

  private stateCounts(): Record<string, number> {
    const counts: Partial<Record<OpcuaBindingState, number>> = {};
    for (const session of this.sessions.values())
      counts[session.currentState] = (counts[session.currentState] ?? 0) + 1;
    return counts;
  }
}
