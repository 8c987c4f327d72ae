import type pg from 'pg';
import type { Logger } from '../../logger.ts';
import { loadKeyEncryptionKey } from './key-encryption-key.ts';
import { openSecretBox } from './keyring.ts';
import type { SecretBox } from './secret-box.ts';
import { sealStoredSecrets } from './stored-secrets.ts';

/**
 * At start: reads the key-encryption key, opens the database's keyring with it (failing loudly if it is not the
 * key the data keys were wrapped with), and brings every stored secret under the active data key, plaintext of
 * an older release included, before anything reads one.
 */
export async function startSecrets(
  pool: pg.Pool,
  options: { readonly keyFile: string | undefined; readonly production: boolean },
  log: Logger,
): Promise<SecretBox> {
  const kek = await loadKeyEncryptionKey(options.keyFile, options.production, log);
  const secrets = await openSecretBox(pool, kek);
  const counts = await sealStoredSecrets(pool, secrets, log);
  if (counts.sealed + counts.resealed > 0)
    log.info(
      { ...counts, dataKey: secrets.activeDataKey },
      'stored secrets sealed under the active data key',
    );
  return secrets;
}
