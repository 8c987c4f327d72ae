import { parseArgs } from 'node:util';
import pg from 'pg';
import { readDatabaseUrls } from '../src/config.ts';

// Rebuilds the 1-minute and hourly rollups of a range from the raw readings, as the owner, one day per
// transaction so a long range never holds the rollup job's lock for long. For repairs and bulk loads.
//   npm run db:rebuild-rollups -- --from=2026-11-01 --to=2026-12-01 [--series=12,13]
const { values } = parseArgs({
  options: { from: { type: 'string' }, to: { type: 'string' }, series: { type: 'string' } },
});
const from = Date.parse(values.from ?? '');
const to = Date.parse(values.to ?? '');
if (Number.isNaN(from) || Number.isNaN(to) || to < from)
  throw new Error('--from and --to take dates (or timestamps), --to not before --from');
const series = values.series === undefined ? null : values.series.split(',').map(Number);
if (series?.some((id) => !Number.isInteger(id)))
  throw new Error('--series takes series ids separated by commas');

const DAY = 86_400_000;
const client = new pg.Client({ connectionString: readDatabaseUrls().adminUrl });
await client.connect();
try {
  let buckets = 0;
  for (let start = from; start < to || start === from; start += DAY) {
    const end = Math.min(start + DAY, to);
    const { rows } = await client.query<{ done: number }>(
      'SELECT telemetry_rebuild_range($1, $2, $3::int[]) AS done',
      [new Date(start), new Date(Math.max(start, end - 1)), series],
    );
    buckets += rows[0]?.done ?? 0;
  }
  console.log(`rebuilt ${String(buckets)} one-minute buckets (and their hours) from raw readings`);
} finally {
  await client.end();
}
