import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, demoEmail, demoTenants } from '@tidewatch/db/testing';
import { testSecretKeyFile } from '@tidewatch/server/testing/secret-key-file';
import type { TokenResponse } from '@tidewatch/shared';
import { writeResults } from './results-file.ts';
import { openLoop, type LoadResult } from './open-loop.ts';

// REST latency of the two lists the console loads most, at a fixed request rate, against a freshly seeded
// database and a server in its own process. Sizes come from the environment.
// The 1,000 requests/s, and a rate below saturation so both regimes are on record.
const rates = (process.env.BENCH_RATES ?? '1000,250').split(',').map(Number);
const duration = Number(process.env.BENCH_DURATION_S ?? 30);
const port = Number(process.env.BENCH_PORT ?? 18_080);
const root = path.resolve(import.meta.dirname, '../..');

async function waitForReady(url: string): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the server did not become ready');
}

const database = await createTestDatabase({ seed: true });
const server = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'apps/server/src/main.ts')], {
  env: {
    ...process.env,
    NODE_ENV: 'production',
    TIDEWATCH_SECRET_KEY_FILE: await testSecretKeyFile(),
    LOG_LEVEL: 'warn',
    PORT: String(port),
    MQTT_PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database.appUrl,
    LOGIN_RATE_LIMIT_PER_IP: '100000',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const url = `http://127.0.0.1:${String(port)}`;
try {
  await waitForReady(url);
  const [tenant] = demoTenants;
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: demoEmail('operator', tenant), password: 'tidewatch-demo' }),
  });
  const { accessToken } = (await login.json()) as TokenResponse;
  const headers = { authorization: `Bearer ${accessToken}` };

  // /health/live touches no database: the HTTP stack's own limit at the same offered rate.
  const endpoints = ['/api/v1/alerts', '/api/v1/assets', '/health/live'];
  // Warm up: JIT, connection pools, PostgreSQL caches.
  for (const endpoint of endpoints)
    await openLoop({ url: `${url}${endpoint}`, headers, ratePerSecond: 200, durationSeconds: 3 });

  const results: Record<string, LoadResult & { offeredRate: number; bodyBytes: number }> = {};
  for (const endpoint of endpoints) {
    const sample = await fetch(`${url}${endpoint}`, { headers });
    const bodyBytes = (await sample.arrayBuffer()).byteLength;
    for (const rate of rates) {
      const target = `${url}${endpoint}`;
      const result = await openLoop({ url: target, headers, ratePerSecond: rate, durationSeconds: duration });
      results[`${endpoint} @ ${String(rate)}/s`] = { ...result, offeredRate: rate, bodyBytes };
      // Let a saturated run's backlog drain before the next one starts.
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  const report = {
    benchmark: 'rest-latency',
    at: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? '',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    },
    note: 'Open loop: latency counts from when each request was due, so queueing under overload is included.',
    settings: {
      offeredRates: rates,
      durationSeconds: duration,
      pageSize: 100,
      user: 'operator (Hyderabad demo tenant)',
    },
    results,
  };
  await writeResults('rest-latency', report);
  console.table(
    Object.fromEntries(
      Object.entries(results).map(([endpoint, r]) => [
        endpoint,
        {
          offered: r.offeredRate,
          achieved: r.achievedRate,
          ...r.latencyMs,
          errors: r.errors,
          bytes: r.bodyBytes,
        },
      ]),
    ),
  );
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await database.drop();
}
