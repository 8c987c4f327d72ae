import { ensureDevelopmentKeyFile } from '../modules/secrets/key-encryption-key.ts';

/**
 * A key file for servers that tests and benchmarks start with NODE_ENV=production (which refuses to start
 * without one): TIDEWATCH_SECRET_KEY_FILE if set, else this machine's development key.
 */
export async function testSecretKeyFile(): Promise<string> {
  return process.env.TIDEWATCH_SECRET_KEY_FILE ?? ensureDevelopmentKeyFile();
}
