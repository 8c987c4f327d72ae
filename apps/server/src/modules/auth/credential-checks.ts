import { verifyCredential } from '@tidewatch/db';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Who asks for a hash check: a person signing in, or a device. Each has its own waiting line. */
export type CredentialLane = 'user' | 'device';

const LANES: readonly CredentialLane[] = ['user', 'device'];

export interface CredentialCheckLimits {
  /** argon2 verifications running at once (each takes ~19 MiB and tens of ms of a core). */
  readonly concurrency: number;
  /** Checks that may wait per lane; beyond it the check is refused at once. */
  readonly maxWaiting: number;
}

/** The waiting line of a lane was full: answered 503 / CONNACK 3, and the caller may try again shortly. */
export class CredentialChecksBusyError extends Error {
  constructor(readonly lane: CredentialLane) {
    super(`too many ${lane} credential checks waiting`);
    this.name = 'CredentialChecksBusyError';
  }
}

interface Waiting {
  readonly start: () => void;
}

/**
 * The one gate every password and device secret check passes: at most `concurrency` argon2 verifications at
 * once, shared by user sign-ins and device sign-ins. Each lane waits in its own bounded line and the lines are
 * served in turn, so a flood of device sign-ins can slow people down by one check at most, never starve them.
 *
 * @example
 *   const ok = await checks.verify('user', row.password_hash, request.password);
 */
export class CredentialChecks {
  private running = 0;
  private readonly lines: Record<CredentialLane, Waiting[]> = { user: [], device: [] };
  /** The lane served last, so the other one goes next when both wait. */
  private lastServed: CredentialLane = 'device';
  private readonly checked: Counter<'lane'>;
  private readonly refused: Counter<'lane'>;

  constructor(
    private readonly limits: CredentialCheckLimits,
    registry: Registry,
  ) {
    this.checked = new Counter({
      name: 'credential_hashes_total',
      help: 'argon2 verifications of passwords and device secrets, by lane',
      labelNames: ['lane'] as const,
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'credential_hashes_refused_total',
      help: 'Credential checks refused because their lane’s waiting line was full',
      labelNames: ['lane'] as const,
      registers: [registry],
    });
    const lines = this.lines;
    new Gauge({
      name: 'credential_hashes_waiting',
      help: 'Credential checks waiting for a free slot, by lane',
      labelNames: ['lane'] as const,
      registers: [registry],
      collect() {
        for (const lane of LANES) this.set({ lane }, lines[lane].length);
      },
    });
  }

  /** Whether `secret` matches `storedHash`; false for a malformed hash. Throws CredentialChecksBusyError. */
  async verify(lane: CredentialLane, storedHash: string, secret: string): Promise<boolean> {
    await this.slot(lane);
    try {
      this.checked.inc({ lane });
      return await verifyCredential(storedHash, secret).catch(() => false);
    } finally {
      this.release();
    }
  }

  private slot(lane: CredentialLane): Promise<void> {
    if (this.running < this.limits.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    const line = this.lines[lane];
    if (line.length >= this.limits.maxWaiting) {
      this.refused.inc({ lane });
      return Promise.reject(new CredentialChecksBusyError(lane));
    }
    return new Promise((resolve) => {
      line.push({ start: resolve });
    });
  }

  /** Hands the freed slot to the next waiter, taking the lanes in turn. */
  private release(): void {
    const other: CredentialLane = this.lastServed === 'user' ? 'device' : 'user';
    const lane = this.lines[other].length > 0 ? other : this.lastServed;
    const next = this.lines[lane].shift();
    if (!next) {
      this.running -= 1;
      return;
    }
    this.lastServed = lane;
    next.start();
  }
}
