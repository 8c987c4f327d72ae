import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const RULES_DIR = path.resolve(import.meta.dirname, '../../../../ops/prometheus');
const SOURCES = path.resolve(import.meta.dirname, '..');

const promtoolFound = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

function promtool(...args: string[]) {
  return spawnSync('promtool', args, { cwd: RULES_DIR, encoding: 'utf8' });
}

/** Every metric name the server registers (`name: 'ingest_queue_readings'` beside a prom-client constructor). */
async function registeredMetrics(): Promise<Set<string>> {
  const names = new Set<string>();
  const files = (await readdir(SOURCES, { recursive: true })).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
  );
  for (const file of files) {
    const text = await readFile(path.join(SOURCES, file), 'utf8');
    if (!text.includes('prom-client')) continue;
    for (const match of text.matchAll(/name: '([a-z_]+)'/g)) names.add(match[1] as string);
  }
  return names;
}

describe('the Prometheus alerting rules', () => {
  // The tests' own CI installs promtool (scripts/ensure-services.sh); there a missing promtool is a failure.
  it.skipIf(!promtoolFound && !process.env.CI)('pass promtool check rules and their unit tests', () => {
    expect(promtoolFound, 'promtool is missing: run scripts/ensure-services.sh').toBe(true);

    const check = promtool('check', 'rules', 'tidewatch-rules.yml');
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const test = promtool('test', 'rules', 'tidewatch-rules.test.yml');
    expect(test.status, test.stdout + test.stderr).toBe(0);
  });

  it('only name metrics the server serves', async () => {
    const rules = await readFile(path.join(RULES_DIR, 'tidewatch-rules.yml'), 'utf8');
    const expressions = [...rules.matchAll(/expr: (\|\n(?:\s{10}.*\n)+|.*)/g)].map(
      (match) => match[1] as string,
    );
    const used = new Set(
      expressions.flatMap((expr) =>
        [...expr.matchAll(/\b([a-z][a-z0-9_]*)\s*(?=\{|\[)/g)]
          .map((match) => (match[1] as string).replace(/_(count|sum|bucket)$/, ''))
          .filter((name) => name !== 'up'),
      ),
    );
    const served = await registeredMetrics();

    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((name) => !served.has(name))).toEqual([]);
  });
});
