import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyId, unwrapDataKey, wrapDataKey, type KeyEncryptionKey } from './key-encryption-key.ts';
import { newDataKey } from './keyring.ts';
import { SecretBox, SecretBoxError, type SecretContext } from './secret-box.ts';

const tenantA = '6f1c2a52-8d5e-4a57-9f0e-2d9b7d3c1a10';
const tenantB = '0b7e3f44-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const rule = (tenantId: string, id: string): SecretContext => ({
  purpose: 'notification_rules.webhook_secret',
  tenantId,
  id,
});

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof SecretBoxError ? error.kind : String(error);
  }
  return 'opened';
}

describe('the secret box', () => {
  const first = newDataKey();
  const box = new SecretBox({ keys: [first], activeId: first.id });

  it('opens what it sealed for the same row, and each seal is different', async () => {
    const context = rule(tenantA, 'r1');
    const sealed = box.seal('whsec-123', context);
    expect(SecretBox.isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('whsec-123');
    expect(box.seal('whsec-123', context)).not.toBe(sealed);
    expect((await box.open(sealed, context)).toString()).toBe('whsec-123');
    expect((await box.open(box.seal('', context), context)).toString()).toBe('');
  });

  it('refuses a value moved to another tenant, row or column, or changed', async () => {
    const sealed = box.seal('whsec-123', rule(tenantA, 'r1'));
    const [version, dataKey, nonce, ciphertext = '', tag] = sealed.split('.');
    const flipped = Buffer.from(ciphertext, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;

    expect(await failure(box.open(sealed, rule(tenantB, 'r1')))).toBe('tampered');
    expect(await failure(box.open(sealed, rule(tenantA, 'r2')))).toBe('tampered');
    expect(
      await failure(
        box.open(sealed, { purpose: 'thingspeak_bindings.read_api_key', tenantId: tenantA, id: 'r1' }),
      ),
    ).toBe('tampered');
    expect(
      await failure(
        box.open(
          [version, dataKey, nonce, flipped.toString('base64url'), tag].join('.'),
          rule(tenantA, 'r1'),
        ),
      ),
    ).toBe('tampered');
    expect(await failure(box.open('whsec-123', rule(tenantA, 'r1')))).toBe('malformed');
    expect(
      await failure(box.open(`tw1.nosuchkey.${nonce ?? ''}.${ciphertext}.${tag ?? ''}`, rule(tenantA, 'r1'))),
    ).toBe('unknown_key');
  });

  it('learns a data key another instance added when it meets one, and seals under the new active key', async () => {
    const second = newDataKey();
    const elsewhere = new SecretBox({ keys: [first, second], activeId: second.id });
    const reloading = new SecretBox({ keys: [first], activeId: first.id }, () =>
      Promise.resolve({ keys: [first, second], activeId: second.id }),
    );
    const sealed = elsewhere.seal('k', rule(tenantA, 'r1'));

    expect((await reloading.open(sealed, rule(tenantA, 'r1'))).toString()).toBe('k');
    expect(SecretBox.dataKeyOf(reloading.seal('k', rule(tenantA, 'r1')))).toBe(second.id);
  });

  it('wraps data keys so that only the same key-encryption key and id unwrap them', () => {
    const kek = (key: Buffer): KeyEncryptionKey => ({ id: keyId(key), key, file: 'test' });
    const a = kek(randomBytes(32));
    const b = kek(randomBytes(32));
    const wrapped = wrapDataKey(a, first);

    expect(wrapped).toHaveLength(60);
    expect(unwrapDataKey(a, first.id, wrapped).key.equals(first.key)).toBe(true);
    expect(() => unwrapDataKey(b, first.id, wrapped)).toThrow(/does not open/);
    expect(() => unwrapDataKey(a, 'another-id', wrapped)).toThrow(/does not open/);
    expect(a.id).not.toBe(b.id);
  });
});
