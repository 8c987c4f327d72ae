import path from 'node:path';
import { parseArgs } from 'node:util';
import { readDatabaseUrls } from '@tidewatch/db';
import pg from 'pg';
import { createLogger } from '../logger.ts';
import { storedSigningKey } from '../modules/auth/signing-key.ts';
import { loadKeyEncryptionKey, readKeyFile } from '../modules/secrets/key-encryption-key.ts';
import { addActiveDataKey, openSecretBox, rewrapDataKeys } from '../modules/secrets/keyring.ts';
import { sealStoredSecrets } from '../modules/secrets/stored-secrets.ts';

const usage = `Puts the secrets stored in the database under new keys, and seals any still in plaintext.

  npm run secrets:rotate -- [--new-key-file <file>] [--new-data-key]

  --new-key-file  wrap the data keys with the key in <file> (openssl rand -base64 32 > <file>) instead of the
                  current one, all at once; then restart every instance with TIDEWATCH_SECRET_KEY_FILE=<file>
  --new-data-key  seal every secret again under a new data key; older data keys stay, to open what running
                  instances seal meanwhile (they reseal it when they restart)
Without options it seals what an older release stored in plaintext and anything not under the active data key.
It can be interrupted and run again: what it finished stays done, and the next run does the rest.
Environment: DATABASE_ADMIN_URL (the schema owner) and TIDEWATCH_SECRET_KEY_FILE, the key in use now.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'new-key-file': { type: 'string' },
      'new-data-key': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const log = createLogger('warn', false);
  const current = await loadKeyEncryptionKey(
    process.env.TIDEWATCH_SECRET_KEY_FILE,
    process.env.NODE_ENV === 'production',
    log,
  );
  const newKeyFile = values['new-key-file'];
  const next = newKeyFile ? await readKeyFile(path.resolve(newKeyFile), log) : current;
  const pool = new pg.Pool({ connectionString: readDatabaseUrls().adminUrl, max: 2 });
  try {
    const client = await pool.connect();
    let rewrapped: number;
    let dataKey: string | null = null;
    try {
      rewrapped = await rewrapDataKeys(client, current, next);
      if (values['new-data-key']) dataKey = await addActiveDataKey(client, next);
    } finally {
      client.release();
    }
    const secrets = await openSecretBox(pool, next);
    const counts = await sealStoredSecrets(pool, secrets, log);
    await storedSigningKey(pool, secrets);
    console.log(
      [
        `Key-encryption key ${next.id} (${next.file}): ${String(rewrapped)} data keys wrapped anew.`,
        dataKey ? `New data key ${dataKey} is the active one.` : `Active data key: ${secrets.activeDataKey}.`,
        `Secrets sealed from plaintext: ${String(counts.sealed)}; sealed again under the active data key: ${String(counts.resealed)}.`,
        ...(counts.unreadable > 0
          ? [
              `${String(counts.unreadable)} stored secrets do not open and were left as they are (see the log).`,
            ]
          : []),
        ...(next.id !== current.id
          ? [
              `Now restart every instance with TIDEWATCH_SECRET_KEY_FILE=${next.file}; the old key file opens nothing.`,
            ]
          : []),
      ].join('\n'),
    );
    if (counts.unreadable > 0) process.exitCode = 2;
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
