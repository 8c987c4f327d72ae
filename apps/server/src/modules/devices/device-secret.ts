import { randomBytes } from 'node:crypto';

/** A new device secret: 192 random bits, base64url. Shown once; only its argon2id hash is stored. */
export function newDeviceSecret(): string {
  return randomBytes(24).toString('base64url');
}
