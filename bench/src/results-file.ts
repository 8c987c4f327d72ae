import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const resultsDir = path.resolve(import.meta.dirname, '../results');

/** Writes `bench/results/<name>.json`, where `npm run bench` collects every benchmark's figures. */
export async function writeResults(name: string, result: unknown): Promise<void> {
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
}
