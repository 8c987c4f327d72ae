import http from 'node:http';

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly statuses: Record<string, number>;
  readonly achievedRate: number;
  readonly latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Sends GET requests at a fixed rate whatever the server does (open loop), timing each from the moment it was
 * due, not from when it went out: a stalled server cannot hide its stall (no coordinated omission).
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
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      new Promise<void>((resolve) => {
        const request = http.get(options.url, { agent, headers: options.headers }, (response) => {
          response.resume();
          response.on('end', () => {
            latencies.push(performance.now() - due);
            const key = String(response.statusCode);
            statuses[key] = (statuses[key] ?? 0) + 1;
            if ((response.statusCode ?? 500) >= 400) errors += 1;
            resolve();
          });
        });
        request.on('error', () => {
          errors += 1;
          resolve();
        });
      }),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return {
    requests: total,
    errors,
    statuses,
    achievedRate: Math.round(total / elapsed),
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p95: round(percentile(latencies, 95)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? Number.NaN),
      mean: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
    },
  };
}
