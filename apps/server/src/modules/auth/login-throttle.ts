import { createHash } from 'node:crypto';
import type pg from 'pg';

export interface ThrottlePolicy {
  /** Failures within the window from which attempts are held back. */
  readonly failures: number;
  /** The first hold; it doubles with each further failure. */
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

export interface LoginThrottlePolicies {
  /** One e-mail from one address: the guessing of a single attacker. Holds everyone back. */
  readonly pair: ThrottlePolicy;
  /**
   * One address, any e-mail: password spraying from one place. Like `account`, it does not hold back an account
   * at an address it signed in from (a control room behind one address keeps signing in).
   */
  readonly address: ThrottlePolicy;
  /**
   * One e-mail, any address: a distributed attack. It holds back attempts only from addresses the account has
   * not signed in from within 90 days, so it slows attackers down without locking the owner out of their desk.
   */
  readonly account: ThrottlePolicy;
  /** Wrong second-factor codes of one user, over all their sessions. */
  readonly secondFactor: ThrottlePolicy;
  readonly windowSeconds: number;
}

/** An attempt's keys: digests, so the table never holds an e-mail someone typed. */
export interface AttemptKeys {
  readonly pair: Buffer;
  readonly address: Buffer;
  readonly account: Buffer;
  /** The address as stored among an account's known addresses. */
  readonly addressText: string;
}

const asRow = (p: ThrottlePolicy): number[] => [p.failures, p.baseSeconds, p.maxSeconds];

const digest = (kind: string, value: string): Buffer =>
  createHash('sha256').update(`${kind}\u0000${value}`).digest();

/**
 * Sign-in throttling instead of lockout. Whatever it decides, the caller answers exactly as for a wrong password
 * (same status, body and work), so throttling never tells an attacker whether an account exists or was right.
 * State lives in PostgreSQL, so every instance sees the same counts.
 */
export class LoginThrottle {
  constructor(
    private readonly pool: pg.Pool,
    private readonly policies: LoginThrottlePolicies,
  ) {}

  keys(email: string, address: string): AttemptKeys {
    const account = email.trim().toLowerCase();
    return {
      pair: digest('pair', `${account}\u0000${address}`),
      address: digest('address', address),
      account: digest('account', account),
      addressText: address,
    };
  }

  /** Whether this attempt must not be evaluated at all. */
  async holds(keys: AttemptKeys, userId: string | null): Promise<boolean> {
    const { rows } = await this.pool.query<{ held: boolean }>(
      'SELECT auth_login_throttled($1, $2, $3, $4, $5) AS held',
      [keys.pair, keys.address, keys.account, userId, keys.addressText],
    );
    return rows[0]?.held === true;
  }

  /** Counts a failed attempt (wrong password or unknown e-mail alike) against all three keys. */
  async failed(keys: AttemptKeys): Promise<void> {
    const { pair, address, account, windowSeconds } = this.policies;
    await this.pool.query('SELECT auth_login_failed($1::bytea[], $2::integer[], $3)', [
      [keys.pair, keys.address, keys.account],
      [asRow(pair), asRow(address), asRow(account)],
      windowSeconds,
    ]);
  }

  /** One user's second-factor attempts are counted under this key. */
  secondFactorKey(userId: string): Buffer {
    return digest('second_factor', userId);
  }

  async holdsSecondFactor(key: Buffer): Promise<boolean> {
    const { rows } = await this.pool.query<{ held: boolean }>(
      'SELECT auth_login_throttled($1, $1, $1, NULL, NULL) AS held',
      [key],
    );
    return rows[0]?.held === true;
  }

  async secondFactorFailed(key: Buffer): Promise<void> {
    const { secondFactor, windowSeconds } = this.policies;
    await this.pool.query('SELECT auth_login_failed($1::bytea[], $2::integer[], $3)', [
      [key],
      [asRow(secondFactor)],
      windowSeconds,
    ]);
  }

  /** A right password: the pair's failures are forgotten. Resolves whether the address was known before. */
  async succeeded(keys: AttemptKeys, userId: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ known: boolean }>(
      'SELECT auth_login_succeeded($1, $2, $3) AS known',
      [keys.pair, userId, keys.addressText],
    );
    return rows[0]?.known === true;
  }
}
