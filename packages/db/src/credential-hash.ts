import { hash, verify } from '@node-rs/argon2';

// argon2id with the OWASP baseline (19 MiB, 2 passes, 1 lane). `2` is Algorithm.Argon2id: the package
// exports it as a const enum, which isolated modules cannot import.
const ARGON2ID = 2;
const options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a password or device secret for storage; the clear text is never stored. */
export function hashCredential(secret: string): Promise<string> {
  return hash(secret, options);
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function verifyCredential(storedHash: string, secret: string): Promise<boolean> {
  return verify(storedHash, secret);
}
