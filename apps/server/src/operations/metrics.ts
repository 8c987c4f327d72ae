import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The server's Prometheus metrics, on a registry of its own so several apps can live in one process. */
export function createMetrics(pools: Readonly<Record<string, pg.Pool>>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const httpErrors = new Counter({
    name: 'http_errors_total',
    help: 'Problem responses by problem code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const loginAttempts = new Counter({
    name: 'auth_login_attempts_total',
    help: 'Sign-in attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by pool (api, ingest, jobs) and state (waiting: callers queued for one)',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      for (const [name, pool] of Object.entries(pools)) {
        this.set({ pool: name, state: 'total' }, pool.totalCount);
        this.set({ pool: name, state: 'idle' }, pool.idleCount);
        this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
      }
    },
  });
  return { registry, httpDuration, httpErrors, loginAttempts };
}
export type Metrics = ReturnType<typeof createMetrics>;
