import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Prints a test's figures and, when SECURITY_RESULTS_DIR is set, writes them as `<name>.json` there (relative
 * to the security workspace), for docs/RELIABILITY.md.
 */
export async function reportResults(name: string, results: Record<string, unknown>): Promise<void> {
  const record = { name, date: new Date().toISOString(), ...results };
  console.log(`[security] ${name}: ${JSON.stringify(record)}`);
  const directory = process.env.SECURITY_RESULTS_DIR;
  if (directory === undefined || directory === '') return;
  const target = path.resolve(import.meta.dirname, '..', directory);
  await mkdir(target, { recursive: true });
  await writeFile(path.join(target, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * The number of fuzz cases for this run: SECURITY_FUZZ_CASES (default 100,000), REST and MQTT together. A REST
 * case costs the server well over ten times an MQTT one, so a tenth go to REST: on 2 shared cores that keeps the
 * suite near six minutes.
 */
export function fuzzBudget(): { readonly rest: number; readonly mqtt: number } {
  const total = Number(process.env.SECURITY_FUZZ_CASES ?? '100000');
  if (!Number.isInteger(total) || total < 100)
    throw new Error('SECURITY_FUZZ_CASES must be an integer of at least 100');
  const rest = Math.round(total * 0.1);
  return { rest, mqtt: total - rest };
}
