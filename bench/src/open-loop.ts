import http from 'node:http';

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly statuses: Record<string, number>;
  readonly achievedRate: number;
  readonly latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Sends GET requests at a fixed rate whatever the server does (open loop), timing each from the moment it was
 * due, not from when it went out: a stalled server cannot hide its stall (no coordinated omission). The
 * generator shares the machine with the server, so it keeps little per request (no promise or closure kept per
 * request, latencies in one typed array): its own garbage collection would otherwise be timed as the server's.
 */
export async function openLoop(options: {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
}): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(options.ratePerSecond * options.durationSeconds);
  const intervalMs = 1000 / options.ratePerSecond;
  const latencies = new Float64Array(total);
  const statuses: Record<string, number> = {};
  let answered = 0;
  let finished = 0;
  let errors = 0;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const finish = (): void => {
    finished += 1;
    if (finished === total) allDone();
  };
  const start = performance.now();
  for (let i = 0; i < total; i += 1) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    http
      .get(options.url, { agent, headers: options.headers }, (response) => {
        response.resume();
        response.on('end', () => {
          latencies[answered] = performance.now() - due;
          answered += 1;
          const key = String(response.statusCode);
          statuses[key] = (statuses[key] ?? 0) + 1;
          if ((response.statusCode ?? 500) >= 400) errors += 1;
          finish();
        });
      })
      .on('error', () => {
        errors += 1;
        finish();
      });
  }
  if (total > 0) await done;
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  const sorted = latencies.subarray(0, answered).sort();
  const round = (n: number): number => Math.round(n * 100) / 100;
  let sum = 0;
  for (const latency of sorted) sum += latency;
  return {
    requests: total,
    errors,
    statuses,
    achievedRate: Math.round(total / elapsed),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? Number.NaN),
      mean: round(sum / Math.max(1, sorted.length)),
    },
  };
}
