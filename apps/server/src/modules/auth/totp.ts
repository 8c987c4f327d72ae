import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** RFC 6238 as authenticator apps implement it: HMAC-SHA1, 6 digits, 30-second steps. */
const STEP_S = 30;
const DIGITS = 6;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A new shared secret: 160 bits, the size RFC 4226 recommends for SHA-1. */
export function newTotpSecret(): Buffer {
  return randomBytes(20);
}

/** RFC 4648 base32 without padding, as otpauth:// URIs carry secrets. */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32.charAt((value << (5 - bits)) & 31);
  return out;
}

/** The 30-second step a moment falls in (RFC 6238's T). */
export function totpStep(atMs: number): number {
  return Math.floor(atMs / 1000 / STEP_S);
}

/** The code for one step (RFC 4226's HOTP with the step as counter). */
export function totpCode(secret: Uint8Array, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** DIGITS).padStart(DIGITS, '0');
}

/**
 * The step a code is valid for, checking the current step and one either side (clock drift of up to 30 s
 * between phone and server), or null. Steps at or before `lastUsedStep` are never accepted, so a code cannot be
 * replayed, nor an older one used after a newer one.
 */
export function matchTotpStep(
  secret: Uint8Array,
  code: string,
  atMs: number,
  lastUsedStep: number,
): number | null {
  const now = totpStep(atMs);
  const given = Buffer.from(code);
  let matched: number | null = null;
  // Every candidate is compared (in constant time), so the answer's timing does not tell which one matched.
  for (const step of [now - 1, now, now + 1]) {
    const expected = Buffer.from(totpCode(secret, step));
    if (expected.length === given.length && timingSafeEqual(expected, given) && step > lastUsedStep) {
      matched ??= step;
    }
  }
  return matched;
}

/**
 * The URI authenticator apps read from a QR code.
 * @example totpUri(secret, 'ops@utility.example', 'Tidewatch') // 'otpauth://totp/Tidewatch:ops%40...'
 */
export function totpUri(secret: Uint8Array, account: string, issuer: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({
    secret: base32Encode(secret),
    issuer,
    algorithm: 'SHA1',
    digits: String(DIGITS),
    period: String(STEP_S),
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}
