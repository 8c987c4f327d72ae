import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { CommandDispatcher } from '../commands/command-dispatcher.ts';
import type { IngestService } from '../ingest/ingest-service.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { RetryPolicy } from '../thingspeak/retry-policy.ts';
import { ApplicationClaims } from './application-claims.ts';
import { ApplicationLink, type LinkDeps } from './application-link.ts';
import { LorawanInbox } from './lorawan-inbox.ts';
import { createLorawanMetrics, type LorawanMetrics } from './lorawan-metrics.ts';
import { LorawanStore } from './lorawan-store.ts';

export interface LorawanConnectorOptions {
  /** How long a claim holds without renewal. */
  readonly leaseMs: number;
  /** How often leases are renewed, free applications claimed and waiting commands swept. */
  readonly tickMs: number;
  readonly maxApplications: number;
  readonly retry: RetryPolicy;
  readonly keepUplinksMs: number;
  readonly maxMessageBytes: number;
}

const PRUNE_EVERY_MS = 3_600_000;

/**
 * Holds LoRaWAN applications for this instance. Each tick renews the leases it holds, drops the applications it
 * lost (or, when the database cannot be asked, those whose lease may run out before the next tick: another
 * instance may claim them only after the lease, by which time this one has disconnected), claims free ones, and
 * sweeps their waiting commands. So at any time at most one instance is subscribed to an application.
 */
export class LorawanConnector {
  readonly metrics: LorawanMetrics;
  readonly instanceId = randomUUID();
  private readonly claims: ApplicationClaims;
  private readonly links = new Map<string, { link: ApplicationLink; heldUntil: number }>();
  private readonly deps: LinkDeps;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;
  private running = false;
  private lastPrune = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    pool: pg.Pool,
    ingest: IngestService,
    commands: CommandDispatcher,
    private readonly bus: EventBus,
    registry: Registry,
    private readonly log: Logger,
    secrets: SecretBox,
    private readonly options: LorawanConnectorOptions,
  ) {
    this.claims = new ApplicationClaims(pool, this.instanceId);
    this.metrics = createLorawanMetrics(
      registry,
      () => this.links.size,
      () => [...this.links.values()].filter(({ link }) => link.connected()).length,
    );
    const store = new LorawanStore(pool);
    const inbox = new LorawanInbox({
      store,
      ingest,
      commands,
      metrics: this.metrics,
      log,
      maxMessageBytes: options.maxMessageBytes,
    });
    this.deps = { store, inbox, secrets, bus, metrics: this.metrics, log, retry: options.retry };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.bus.on('command.changed', (event) => {
      if (event.state !== 'pending') return;
      for (const { link } of this.links.values()) if (link.hasDevice(event.deviceId)) link.deliverPending();
    });
    this.schedule(0);
    this.log.info({ instance: this.instanceId }, 'LoRaWAN connector started');
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.unsubscribe?.();
    await this.ticking;
    const held = [...this.links.values()].map(({ link }) => link);
    this.links.clear();
    await Promise.allSettled(
      held.map(async (link) => {
        await link.close();
        // Another instance may take it at once, not after the lease.
        await this.claims.release(link.claim.claimToken).catch(() => undefined);
      }),
    );
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => {
          this.log.error({ err: error }, 'LoRaWAN connector tick failed');
        })
        .finally(() => {
          this.ticking = null;
          this.schedule(this.options.tickMs);
        });
    }, delayMs);
  }

  private async drop(applicationId: string, why: string): Promise<void> {
    const held = this.links.get(applicationId);
    if (!held) return;
    this.links.delete(applicationId);
    this.log.warn({ lorawanApplicationId: applicationId, why }, 'LoRaWAN application let go');
    await held.link.close();
  }

  private async tick(): Promise<void> {
    const askedAt = Date.now();
    const tokens = [...this.links.values()].map(({ link }) => link.claim.claimToken);
    let renewed;
    try {
      renewed = await this.claims.renew(tokens, this.options.leaseMs);
    } catch (error) {
      this.log.warn({ err: error }, 'could not renew the LoRaWAN leases');
      // The lease may run out before the next tick: stop listening before another instance may start.
      for (const [id, held] of [...this.links]) {
        if (held.heldUntil - this.options.tickMs * 1.5 <= Date.now())
          await this.drop(id, 'lease not renewed');
      }
      return;
    }
    const byToken = new Map(renewed.map((r) => [r.claimToken, r]));
    for (const [id, held] of [...this.links]) {
      const renewal = byToken.get(held.link.claim.claimToken);
      if (!renewal) {
        await this.drop(id, 'lease lost (disabled, removed, or taken after it ran out)');
        continue;
      }
      held.heldUntil = askedAt + this.options.leaseMs;
      if (renewal.configVersion !== held.link.claim.configVersion) {
        // New broker, credentials or application id: a new connection under the same claim.
        await held.link.close();
        const link = new ApplicationLink({ ...held.link.claim, ...renewal }, this.deps);
        this.links.set(id, { link, heldUntil: held.heldUntil });
        await this.startLink(link);
      } else if (renewal.devicesVersion !== held.link.claim.devicesVersion) {
        held.link.claim = { ...held.link.claim, devicesVersion: renewal.devicesVersion };
        await held.link.reloadDevices();
      }
    }
    const room = this.options.maxApplications - this.links.size;
    if (room > 0) {
      for (const claim of await this.claims.claimFree(room, this.options.leaseMs)) {
        const link = new ApplicationLink(claim, this.deps);
        this.links.set(claim.applicationId, { link, heldUntil: askedAt + this.options.leaseMs });
        this.log.info({ lorawanApplicationId: claim.applicationId }, 'LoRaWAN application claimed');
        await this.startLink(link);
      }
    }
    for (const { link } of this.links.values()) link.deliverPending();
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      for (const { link } of this.links.values())
        await this.deps.store.pruneUplinks(link.tenantId, link.applicationId, this.options.keepUplinksMs);
    }
  }

  private async startLink(link: ApplicationLink): Promise<void> {
    try {
      if (!(await link.start())) await this.drop(link.applicationId, 'removed');
    } catch (error) {
      this.log.error(
        { err: error, lorawanApplicationId: link.applicationId },
        'could not start a LoRaWAN application',
      );
      await this.drop(link.applicationId, 'start failed');
      await this.claims.release(link.claim.claimToken).catch(() => undefined);
    }
  }
}
