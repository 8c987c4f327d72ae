import { describe, expect, it } from 'vitest';
import { base32Encode, matchTotpStep, totpCode, totpStep, totpUri } from './totp.ts';

// RFC 6238 appendix B, SHA-1 column: the 20-byte ASCII secret "12345678901234567890", 8-digit codes.
const rfcSecret = Buffer.from('12345678901234567890');
const rfcVectors: [number, string][] = [
  [59, '94287082'],
  [1_111_111_109, '07081804'],
  [1_111_111_111, '14050471'],
  [1_234_567_890, '89005924'],
  [2_000_000_000, '69279037'],
  [20_000_000_000, '65353130'],
];

describe('TOTP', () => {
  it('computes the RFC 6238 test vectors (their last six digits)', () => {
    for (const [seconds, eight] of rfcVectors) {
      expect(totpCode(rfcSecret, totpStep(seconds * 1000))).toBe(eight.slice(2));
    }
  });

  it('encodes base32 as RFC 4648 does', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Encode(rfcSecret)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it('accepts a step either side of now, never a step already used', () => {
    const at = 1_700_000_000_000;
    const step = totpStep(at);
    expect(matchTotpStep(rfcSecret, totpCode(rfcSecret, step - 1), at, 0)).toBe(step - 1);
    expect(matchTotpStep(rfcSecret, totpCode(rfcSecret, step + 1), at, 0)).toBe(step + 1);
    expect(matchTotpStep(rfcSecret, totpCode(rfcSecret, step - 2), at, 0)).toBeNull();
    expect(matchTotpStep(rfcSecret, totpCode(rfcSecret, step), at, step)).toBeNull();
    expect(matchTotpStep(rfcSecret, totpCode(rfcSecret, step - 1), at, step)).toBeNull();
  });

  it('builds the otpauth URI authenticator apps read', () => {
    const uri = new URL(totpUri(rfcSecret, 'ops@utility.example', 'Tidewatch'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Tidewatch:ops@utility.example');
    expect(uri.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(uri.searchParams.get('issuer')).toBe('Tidewatch');
  });
});
