import type { Database } from '@tidewatch/db';
import { Router, type RequestHandler } from 'express';
import type { Metrics } from './metrics.ts';

async function databaseReady(db: Database): Promise<boolean> {
  try {
    await Promise.race([
      db.pool.query('SELECT 1'),
      new Promise((_resolve, reject) =>
        setTimeout(() => {
          reject(new Error('timeout'));
        }, 2000).unref(),
      ),
    ]);
    return true;
  } catch {
    return false;
  }
}

/** Liveness (the process answers), readiness (database and MQTT broker answer) and Prometheus metrics. */
export function operationsRouter(
  db: Database,
  metrics: Metrics,
  isShuttingDown: () => boolean,
  brokerReady: () => boolean,
  metricsAccess: RequestHandler,
): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    const checks = { database: await databaseReady(db), broker: brokerReady(), accepting: !isShuttingDown() };
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  router.get('/metrics', metricsAccess, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
