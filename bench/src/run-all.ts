import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { svgBarChart } from './report/svg-bar-chart.ts';
import { summarize, type Summary } from './report/summaries.ts';
import { machineInfo } from './stats.ts';

// `npm run bench`: every benchmark in turn, each in its own process against a fresh database, with sizes that
// finish within about ten minutes on two cores (each can be raised through its environment variables). Writes
// bench/results/latest.json and docs/PERFORMANCE.md with a table and a chart per benchmark.

interface Benchmark {
  /** Its results file, bench/results/<name>.json. */
  readonly name: string;
  /** Its script in bench/package.json. */
  readonly script: string;
  /** Defaults for the full run; a variable already set in the environment wins. */
  readonly sizes: Record<string, string>;
}

const benchmarks: readonly Benchmark[] = [
  {
    name: 'ingest',
    script: 'ingest',
    sizes: { BENCH_INGEST_RATES: '2000,5000,10000', BENCH_DURATION_S: '15', BENCH_DEVICES: '200' },
  },
  { name: 'payload-check', script: 'payload-check', sizes: {} },
  { name: 'alert-latency', script: 'alert-latency', sizes: { BENCH_DURATION_S: '30' } },
  {
    name: 'rest-latency',
    script: 'rest-latency',
    sizes: {
      BENCH_RATE: '1000',
      BENCH_DURATION_S: '15',
      BENCH_STEPS: '500,1000,1500,2000,2500,3000',
      BENCH_STEP_S: '5',
      BENCH_CHANGES_PER_S: '20',
    },
  },
  { name: 'socket-fanout', script: 'socket-fanout', sizes: {} },
  { name: 'trend-render', script: 'trend-render', sizes: {} },
  { name: 'map-render', script: 'map-render', sizes: {} },
  { name: 'map-tiles', script: 'map-tiles', sizes: {} },
  { name: 'console-frames', script: 'console-frames', sizes: {} },
];

const root = path.resolve(import.meta.dirname, '../..');
const only = process.env.BENCH_ONLY?.split(',');
const packageJson = JSON.parse(await readFile(path.join(root, 'bench/package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

function run(benchmark: Benchmark): Promise<number> {
  const sizes = Object.fromEntries(
    Object.entries(benchmark.sizes).filter(([key]) => process.env[key] === undefined),
  );
  const child = spawn('npm', ['run', '--silent', benchmark.script, '-w', '@tidewatch/bench'], {
    cwd: root,
    env: { ...process.env, ...sizes },
    stdio: 'inherit',
  });
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      resolve(code ?? 1);
    });
  });
}

const outcomes: Record<string, { exitCode: number; seconds: number }> = {};
const selected = benchmarks.filter(
  (benchmark) => benchmark.script in packageJson.scripts && (!only || only.includes(benchmark.name)),
);
for (const benchmark of selected) {
  console.log(`\n=== ${benchmark.name} ===`);
  const started = performance.now();
  const exitCode = await run(benchmark);
  outcomes[benchmark.name] = { exitCode, seconds: Math.round((performance.now() - started) / 1000) };
}

// Every results file there is, including benchmarks not selected this time (their date says when they ran).
const results: Record<string, Record<string, unknown>> = {};
for (const benchmark of benchmarks) {
  const file = path.join(root, `bench/results/${benchmark.name}.json`);
  if (existsSync(file))
    results[benchmark.name] = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}
const at = new Date().toISOString();
await writeFile(
  path.join(root, 'bench/results/latest.json'),
  `${JSON.stringify({ at, machine: machineInfo(), runs: outcomes, results }, null, 2)}\n`,
);

const cell = (value: string | number): string =>
  typeof value === 'number' ? (Number.isFinite(value) ? value.toLocaleString('en-US') : '–') : value;
const table = (summary: Summary): string =>
  [
    `| ${summary.header.join(' | ')} |`,
    `| ${summary.header.map(() => '---').join(' | ')} |`,
    ...summary.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');

await mkdir(path.join(root, 'docs/charts'), { recursive: true });
const sections: string[] = [];
for (const [name, result] of Object.entries(results)) {
  const summary = summarize(name, result);
  const chartFile = `charts/${name}.svg`;
  await writeFile(
    path.join(root, 'docs', chartFile),
    svgBarChart(summary.chart.title, summary.chart.unit, summary.chart.bars),
  );
  sections.push(
    [
      `## ${summary.title}`,
      '',
      `Run ${typeof result.at === 'string' ? result.at : 'at an unknown time'}${outcomes[name] ? ` (${String(outcomes[name].seconds)} s, exit ${String(outcomes[name].exitCode)})` : ' (earlier run)'}; \`bench/results/${name}.json\` has every figure.`,
      '',
      summary.what,
      '',
      table(summary),
      '',
      `![${summary.chart.title}](${chartFile})`,
      '',
    ].join('\n'),
  );
}
const machine = machineInfo();
await writeFile(
  path.join(root, 'docs/PERFORMANCE.md'),
  [
    '# Performance',
    '',
    `Written by \`npm run bench\` on ${at.slice(0, 10)}: ${String(machine.cpus)} cores (${machine.model}), ${String(machine.memoryGiB)} GiB, with the real PostgreSQL + PostGIS, Mosquitto and Redis on the same machine as the server and the load generators, so every figure includes their competition for the two cores. Each throughput figure is set against the matching limit measured in the same run.`,
    '',
    ...sections,
  ].join('\n'),
);
console.log('\nWrote bench/results/latest.json and docs/PERFORMANCE.md');
if (Object.values(outcomes).some((outcome) => outcome.exitCode !== 0)) process.exitCode = 1;
