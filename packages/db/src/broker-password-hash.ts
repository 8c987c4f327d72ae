import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const derive = promisify(pbkdf2);

// Mosquitto's "$7$" format: PBKDF2-SHA512 with the iteration count, salt and digest in the string. Mosquitto
// itself uses 101 iterations by default; more costs the broker a little on each connect and an attacker a lot.
const ITERATIONS = 10_000;
const SALT_BYTES = 12;
const DIGEST_BYTES = 64;

/**
 * A device secret hashed the way an external Mosquitto broker verifies it (its password file format), so the
 * broker can authenticate devices without the clear secret ever being stored.
 * @example await brokerPasswordHash('s3cret') // '$7$10000$<salt>$<digest>'
 */
export async function brokerPasswordHash(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const digest = await derive(secret, salt, ITERATIONS, DIGEST_BYTES, 'sha512');
  return `$7$${String(ITERATIONS)}$${salt.toString('base64')}$${digest.toString('base64')}`;
}

/** Checks a secret against a "$7$" hash; false for anything malformed. */
export async function verifyBrokerPassword(storedHash: string, secret: string): Promise<boolean> {
  const [, kind, iterations, salt, digest] = storedHash.split('$');
  if (kind !== '7' || !iterations || !salt || !digest || !/^\d{1,7}$/.test(iterations)) return false;
  const expected = Buffer.from(digest, 'base64');
  const actual = await derive(
    secret,
    Buffer.from(salt, 'base64'),
    Number(iterations),
    expected.length,
    'sha512',
  );
  return expected.length === DIGEST_BYTES && timingSafeEqual(expected, actual);
}
