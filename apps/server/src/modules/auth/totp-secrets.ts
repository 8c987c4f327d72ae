import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type pg from 'pg';

/**
 * Seals TOTP secrets before they are stored, and opens them to check a code. The one place that knows how: when
 * the server's envelope encryption (`seal`/`open`, key from TIDEWATCH_SECRET_KEY_FILE) is available, these two
 * functions move to it (same shape: a sealed text, bound to its row, opened asynchronously), and values still in
 * this format ("v0:") are opened here and sealed anew on their next use.
 *
 * v0: AES-256-GCM under a key kept in platform_secrets (read through `auth_totp_key()`), so a copy of the users'
 * rows alone does not give away anyone's second factor.
 */
export interface TotpSecretBox {
  seal(secret: Uint8Array, owner: TotpSecretOwner): string;
  /** Rejects a value changed, or moved from another user. */
  open(sealed: string, owner: TotpSecretOwner): Promise<Buffer>;
}

/** The row a secret belongs to; bound into the ciphertext. */
export interface TotpSecretOwner {
  readonly tenantId: string | null;
  readonly userId: string;
}

const boundTo = (owner: TotpSecretOwner): Buffer =>
  Buffer.from(`user_totp.secret_sealed\n${owner.tenantId ?? ''}\n${owner.userId}`);

const VERSION = 'v0';

export async function loadTotpSecretBox(pool: pg.Pool): Promise<TotpSecretBox> {
  const { rows } = await pool.query<{ key: Buffer }>('SELECT auth_totp_key() AS key');
  const key = rows[0]?.key;
  if (key?.length !== 32) throw new Error('The database returned no TOTP sealing key');
  return {
    seal(secret, owner) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // Bound to its user: a sealed secret copied onto another account does not open.
      cipher.setAAD(boundTo(owner));
      const body = Buffer.concat([cipher.update(secret), cipher.final()]);
      return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },
    open(sealed, owner) {
      try {
        const [version, payload] = sealed.split(':');
        if (version !== VERSION || payload === undefined) throw new Error('Unknown TOTP secret format');
        const raw = Buffer.from(payload, 'base64');
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAAD(boundTo(owner));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Promise.resolve(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
}

/** The box, loaded once on first use (its key is read from the database). */
export class TotpSecrets {
  private loading: Promise<TotpSecretBox> | undefined;

  constructor(private readonly pool: pg.Pool) {}

  box(): Promise<TotpSecretBox> {
    this.loading ??= loadTotpSecretBox(this.pool).catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }
}
