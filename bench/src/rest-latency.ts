import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createTestDatabase, demoEmail, demoTenants } from '@tidewatch/db/testing';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import type { Alert, Page, TokenResponse } from '@tidewatch/shared';
import { writeResults } from './results-file.ts';
import { openLoop, type LoadResult } from './open-loop.ts';
import { machineInfo } from './stats.ts';

// REST latency of the two lists the console loads most, against a freshly seeded database and a server in its own
// process, while alerts change in the background (comments through the API, each a new alert sequence number, so
// cached lists are rebuilt as often as they would be in a busy control room). First the rate for a longer
// run, then rising steps to find the highest rate each list sustains with p95 within the budget.
const rate = Number(process.env.BENCH_RATE ?? 1000);
const duration = Number(process.env.BENCH_DURATION_S ?? 15);
const changesPerSecond = Number(process.env.BENCH_CHANGES_PER_S ?? 20);
const steps = (process.env.BENCH_STEPS ?? '500,1000,1500,2000,2500,3000').split(',').map(Number);
const stepSeconds = Number(process.env.BENCH_STEP_S ?? 5);
const p95BudgetMs = Number(process.env.BENCH_P95_BUDGET_MS ?? 50);
const port = Number(process.env.BENCH_PORT ?? 18_080);
// What the console (Electron's fetch, a browser) sends; empty: identity only.
const acceptEncoding = process.env.BENCH_ACCEPT_ENCODING ?? 'gzip, deflate, br';
// A directory for the server's V8 CPU profile (node --cpu-prof), written when it stops.
const cpuProfileDir = process.env.BENCH_CPU_PROF_DIR;

/** Comments on the tenant's alerts at a steady rate until stopped: each one moves the alert sequence. */
function backgroundChanges(url: string, headers: Record<string, string>, alertIds: readonly string[]) {
  const counts = { sent: 0, failed: 0 };
  let next = 0;
  const timer =
    changesPerSecond > 0 && alertIds.length > 0
      ? setInterval(() => {
          const id = alertIds[next % alertIds.length] ?? '';
          next += 1;
          counts.sent += 1;
          fetch(`${url}/api/v1/alerts/${id}/comments`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify({ comment: `bench change ${String(next)}` }),
          })
            .then(async (response) => {
              await response.arrayBuffer();
              if (!response.ok) counts.failed += 1;
            })
            .catch(() => {
              counts.failed += 1;
            });
        }, 1000 / changesPerSecond)
      : undefined;
  return {
    counts,
    stop: () => {
      clearInterval(timer);
    },
  };
}

/** CPU seconds a process has used (user + system), from /proc; NaN where there is none. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of the line (11 and 12 after the command), in clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Run extends LoadResult {
  readonly offeredRate: number;
  readonly durationSeconds: number;
  /** Requests answered 2xx per second, from the first request to the last answer. */
  readonly servedRate: number;
  /**
   * The server process's CPU time per 1,000 requests (PostgreSQL's not included): unlike latency, it hardly
   * depends on what else runs on the machine.
   */
  readonly serverCpuMsPer1000: number;
}

async function measure(target: string, headers: Record<string, string>, offered: number, seconds: number) {
  const cpuBefore = cpuSeconds(server.pid);
  const result = await openLoop({ url: target, headers, ratePerSecond: offered, durationSeconds: seconds });
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  const served = Object.entries(result.statuses)
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
  // Let a saturated run's backlog drain before the next one starts.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return {
    ...result,
    offeredRate: offered,
    durationSeconds: seconds,
    // Over the time from the first request to the last answer, so a backlog drained after the window counts.
    servedRate: Math.round((result.achievedRate * served) / Math.max(1, result.requests)),
    serverCpuMsPer1000: Math.round((1_000_000 * cpu) / Math.max(1, result.requests)),
  } satisfies Run;
}

const withinBudget = (run: Run): boolean =>
  run.errors === 0 && run.servedRate >= 0.99 * run.offeredRate && run.latencyMs.p95 <= p95BudgetMs;

const database = await createTestDatabase({ seed: true });
// BENCH_SERVER_NODE_ARGS passes other options to the server's node, e.g. `--trace-gc`.
const nodeArgs = [
  ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []),
  ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
];
const server = new ServerProcess({ databaseUrl: database.appUrl, port, compiled: true, nodeArgs });
const url = server.url;
try {
  await server.start();
  const [tenant] = demoTenants;
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: demoEmail('operator', tenant), password: 'tidewatch-demo' }),
  });
  const { accessToken } = (await login.json()) as TokenResponse;
  const headers: Record<string, string> = { authorization: `Bearer ${accessToken}` };
  if (acceptEncoding) headers['accept-encoding'] = acceptEncoding;
  const alerts = (await (await fetch(`${url}/api/v1/alerts?limit=100`, { headers })).json()) as Page<Alert>;

  // /health/live touches no database: the HTTP stack's own limit at the same offered rate.
  const endpoints = ['/api/v1/alerts', '/api/v1/assets', '/health/live'];
  const started = performance.now();
  // The changes start before the warm-up, so their first runs (query plans, the ORM's first compilation of each
  // statement, JIT) are not timed with the first list run.
  const changes = backgroundChanges(
    url,
    headers,
    alerts.items.map((a) => a.id),
  );
  // Warm up: JIT, connection pools, PostgreSQL caches.
  for (const endpoint of endpoints)
    await openLoop({ url: `${url}${endpoint}`, headers, ratePerSecond: 200, durationSeconds: 3 });
  const loadBefore = os.loadavg()[0] ?? Number.NaN;
  const results: Record<string, Run & { bodyBytes: number }> = {};
  const stepRuns: Record<string, Run[]> = {};
  const highestWithinBudget: Record<string, number | null> = {};
  try {
    for (const endpoint of endpoints) {
      const target = `${url}${endpoint}`;
      const sample = await fetch(target, { headers });
      // As sent (fetch decompresses what it reads).
      const decoded = (await sample.arrayBuffer()).byteLength;
      const bodyBytes = Number(sample.headers.get('content-length') ?? decoded);
      results[`${endpoint} @ ${String(rate)}/s`] = {
        ...(await measure(target, headers, rate, duration)),
        bodyBytes,
      };
      if (endpoint.startsWith('/health')) continue;
      // Rising steps until one misses the budget: the last that met it is the highest rate sustained.
      stepRuns[endpoint] = [];
      highestWithinBudget[endpoint] = null;
      for (const offered of steps) {
        const run = await measure(target, headers, offered, stepSeconds);
        stepRuns[endpoint].push(run);
        console.log(
          `${endpoint} @ ${String(offered)}/s: served ${String(run.servedRate)}/s, p95 ${String(run.latencyMs.p95)} ms, ` +
            `server CPU ${String(run.serverCpuMsPer1000)} ms per 1,000`,
        );
        if (!withinBudget(run)) break;
        highestWithinBudget[endpoint] = offered;
      }
    }
  } finally {
    changes.stop();
  }
  const changeSeconds = (performance.now() - started) / 1000;
  // Other work on the machine: the 1-minute load average, against its cores.
  const load = [loadBefore, os.loadavg()[0] ?? Number.NaN].map((value) => Math.round(value * 10) / 10);

  const report = {
    benchmark: 'rest-latency',
    at: new Date().toISOString(),
    machine: machineInfo(),
    note:
      `Open loop: latency counts from when each request was due, so queueing under overload is included. ` +
      `Served = 2xx answers per second from the first request to the last answer. During every run ~${String(changesPerSecond)} ` +
      `alert changes/s (comments through the API) move the tenant's alert sequence, so cached lists are rebuilt. ` +
      `Steps of ${String(stepSeconds)} s rise until one misses p95 ≤ ${String(p95BudgetMs)} ms (or serves < 99 %); ` +
      `the load generator shares the server's cores. Server CPU: the server process's CPU ms per 1,000 requests ` +
      `(PostgreSQL not included), which hardly depends on the load. Requests send Accept-Encoding as the console does ` +
      `(${acceptEncoding || 'none'}); body sizes are as sent. Load average (1 min) at start and end: ` +
      `${load.join(' and ')} on ${String(os.cpus().length)} cores.`,
    settings: {
      offeredRate: rate,
      durationSeconds: duration,
      steps,
      stepSeconds,
      p95BudgetMs,
      changesPerSecond,
      acceptEncoding,
      pageSize: 100,
      user: 'operator (Hyderabad demo tenant)',
    },
    loadAverage: { start: load[0], end: load[1] },
    backgroundChanges: {
      sent: changes.counts.sent,
      failed: changes.counts.failed,
      perSecond: Math.round(changes.counts.sent / changeSeconds),
    },
    results,
    steps: stepRuns,
    highestRateWithinBudget: highestWithinBudget,
  };
  await writeResults('rest-latency', report);
  console.table(
    Object.fromEntries(
      Object.entries(results).map(([endpoint, r]) => [
        endpoint,
        {
          offered: r.offeredRate,
          served: r.servedRate,
          ...r.latencyMs,
          errors: r.errors,
          bytes: r.bodyBytes,
          cpuMsPer1000: r.serverCpuMsPer1000,
        },
      ]),
    ),
  );
  console.log(
    'highest rate with p95 within budget:',
    highestWithinBudget,
    'changes:',
    report.backgroundChanges,
  );
} finally {
  await server.stop();
  await database.drop();
}
