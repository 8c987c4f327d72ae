import { parseArgs } from 'node:util';
import { createDatabase } from '../src/client.ts';
import { readDatabaseUrls } from '../src/config.ts';
import { readRetentionPolicy } from '../src/retention-policy.ts';
import { runRetention } from '../src/retention-run.ts';

// Runs retention once as the application role, exactly as the server's hourly job does. A person who has
// checked the database's clock (and the settings) lets a refused deletion through with --max-step-days=<days>.
const { values } = parseArgs({ options: { 'max-step-days': { type: 'string' } } });
const policy = readRetentionPolicy();
const maxStepDays =
  values['max-step-days'] === undefined ? policy.maxStepDays : Number(values['max-step-days']);
if (!Number.isInteger(maxStepDays) || maxStepDays < 1)
  throw new Error('--max-step-days takes a whole number of days');

const db = createDatabase({ url: readDatabaseUrls().appUrl, maxConnections: 1 });
try {
  const result = await runRetention(db.pool, { ...policy, maxStepDays });
  console.log(
    `measured from ${result.reference} (the database's now(), or the end of the newest day holding readings if earlier)`,
  );
  const dropped =
    result.dropped.length > 4 ? [result.dropped[0], '…', result.dropped.at(-1)] : result.dropped;
  console.log(
    `created ${String(result.created)} partitions; dropped ${String(result.dropped.length)}${dropped.length > 0 ? ` (${dropped.join(', ')})` : ''}`,
  );
  console.log(
    `deleted ${JSON.stringify(result.deleted)}${result.complete ? '' : ' (more is due: run again)'}`,
  );
  for (const refusal of result.refused) {
    const tenant = refusal.tenantId ? ` of tenant ${refusal.tenantId}` : '';
    console.error(`refused: ${refusal.scope}${tenant}: ${refusal.reason}`);
  }
  if (result.refused.length > 0) {
    console.error(
      'Check the database clock (SELECT now()) and the retention settings, then run again with --max-step-days=<days>.',
    );
    process.exitCode = 2;
  }
} finally {
  await db.close();
}
