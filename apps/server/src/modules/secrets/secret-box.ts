import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Where a secret lives: the table and column, the tenant and the row. It is bound into the ciphertext
 * (AES-GCM associated data), so a sealed value copied to another row, column or tenant does not open.
 */
export interface SecretContext {
  /** `table.column`, e.g. `notification_rules.webhook_secret`. */
  readonly purpose: string;
  /** The row's tenant; null for a platform secret. */
  readonly tenantId: string | null;
  /** The row's key (its id, or what makes it unique, such as a binding's device id). */
  readonly id: string;
}

/** A data key in memory: 32 bytes for AES-256-GCM, named by its id in `secret_data_keys`. */
export interface DataKey {
  readonly id: string;
  readonly key: Buffer;
}

/** The data keys of the database, unwrapped, and the one new secrets are sealed under. */
export interface Keyring {
  readonly keys: readonly DataKey[];
  readonly activeId: string;
}

export type SecretBoxErrorKind = 'malformed' | 'unknown_key' | 'tampered';

/**
 * A sealed value that does not open: not an envelope (`malformed`), sealed under a data key this server does
 * not have (`unknown_key`), or changed, or moved from another row (`tampered`).
 */
export class SecretBoxError extends Error {
  constructor(
    readonly kind: SecretBoxErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const VERSION = 'tw1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PART = /^[A-Za-z0-9_-]*$/;

function associatedData(dataKeyId: string, context: SecretContext): Buffer {
  return Buffer.from(
    `${VERSION}.${dataKeyId}\n${JSON.stringify([context.purpose, context.tenantId, context.id])}`,
  );
}

/**
 * Encrypts secrets stored in the database (envelope encryption): each with AES-256-GCM under a data key, the
 * data keys themselves stored wrapped by the operator's key-encryption key (TIDEWATCH_SECRET_KEY_FILE), which
 * never reaches the database or its backups. A sealed value is text, safe in any text column:
 * `tw1.<data key id>.<nonce>.<ciphertext>.<tag>` (base64url), bound to its row by its context.
 *
 * @example
 * const context = { purpose: 'users.totp_secret', tenantId, id: userId };
 * const stored = secrets.seal(totpSecret, context);           // into users.totp_secret
 * const totp = (await secrets.open(stored, context)).toString(); // throws SecretBoxError if moved or changed
 */
export class SecretBox {
  private keys: Map<string, Buffer>;
  private activeId: string;
  private reloading: Promise<void> | null = null;

  /** `reload` reads the keyring again, for a data key another instance (or the rotation command) added. */
  constructor(
    keyring: Keyring,
    private readonly reload?: () => Promise<Keyring>,
  ) {
    this.keys = new Map(keyring.keys.map((k) => [k.id, k.key]));
    this.activeId = keyring.activeId;
    if (!this.keys.has(this.activeId))
      throw new Error(`the active data key ${this.activeId} is not in the keyring`);
  }

  /** True for a value in the sealed form (anything else is plaintext an older release stored). */
  static isSealed(value: string): boolean {
    return value.startsWith(`${VERSION}.`);
  }

  /** The data key a sealed value was sealed under. */
  static dataKeyOf(sealed: string): string | undefined {
    return SecretBox.isSealed(sealed) ? sealed.split('.')[1] : undefined;
  }

  /** The data key new secrets are sealed under. */
  get activeDataKey(): string {
    return this.activeId;
  }

  /** Seals a secret for the row `context` names; every call uses a fresh nonce. */
  seal(plaintext: string | Uint8Array, context: SecretContext): string {
    const key = this.keys.get(this.activeId) as Buffer;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(associatedData(this.activeId, context));
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
    return [VERSION, this.activeId, nonce, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Opens a value `seal` made for the same context. @throws SecretBoxError */
  async open(sealed: string, context: SecretContext): Promise<Buffer> {
    const parts = sealed.split('.');
    const [version, dataKeyId = '', nonce = '', ciphertext = '', tag = ''] = parts;
    if (parts.length !== 5 || version !== VERSION || !parts.every((part) => PART.test(part)))
      throw new SecretBoxError('malformed', `not a sealed secret (${context.purpose})`);
    let key = this.keys.get(dataKeyId);
    let reloadFailure = '';
    if (!key && this.reload) {
      await this.refresh().catch((error: unknown) => {
        reloadFailure = `; reading the keyring again failed: ${error instanceof Error ? error.message : String(error)}`;
      });
      key = this.keys.get(dataKeyId);
    }
    if (!key) {
      throw new SecretBoxError(
        'unknown_key',
        `${context.purpose} is sealed under data key ${dataKeyId}, which this server does not have${reloadFailure}`,
      );
    }
    const nonceBytes = Buffer.from(nonce, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (nonceBytes.length !== NONCE_BYTES || tagBytes.length !== TAG_BYTES)
      throw new SecretBoxError('malformed', `not a sealed secret (${context.purpose})`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonceBytes);
      decipher.setAAD(associatedData(dataKeyId, context));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    } catch {
      throw new SecretBoxError(
        'tampered',
        `${context.purpose} of ${context.id} does not open: changed, or sealed for another row or tenant`,
      );
    }
  }

  /** Reads the keyring again (once for concurrent callers), adopting its keys and its active key. */
  private refresh(): Promise<void> {
    const reload = this.reload;
    if (!reload) return Promise.resolve();
    this.reloading ??= reload()
      .then((keyring) => {
        this.keys = new Map(keyring.keys.map((k) => [k.id, k.key]));
        this.activeId = keyring.activeId;
      })
      .finally(() => {
        this.reloading = null;
      });
    return this.reloading;
  }
}
