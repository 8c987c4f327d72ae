import { createHash, randomBytes } from 'node:crypto';
import { base32Encode } from './totp.ts';

export const RECOVERY_CODE_COUNT = 10;

/** Ten one-time codes of 80 random bits each, shown as four groups of four base32 letters and digits. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    (base32Encode(randomBytes(10)).toLowerCase().match(/.{4}/g) ?? []).join('-'),
  );
}

/** As stored: SHA-256 of the code without its dashes, spaces or letter case (80 random bits need no slow hash). */
export function hashRecoveryCode(code: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(code.replace(/[\s-]/g, '').toLowerCase()).digest());
}
