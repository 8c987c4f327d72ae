import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { applyMigrations, ensureDatabaseExists } from '@tidewatch/db';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { adminQuery } from '../src/testing/admin-query.ts';
import { provisionDevices, type ProvisionedDevice } from '../src/testing/provision-devices.ts';
import { ServerProcess } from '../src/testing/server-process.ts';
import { freePort, sleep, until } from './fault-tools.ts';
import { createScratchCluster, type ScratchCluster } from './scratch-cluster.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const SECRET = 'restore-drill-secret';
const WORKERS = 4;

/** One reading sent over HTTP: its value is unique across the drill, `ts` is when it was sent (the reading's time). */
interface Sent {
  readonly seriesId: number;
  readonly value: number;
  readonly ts: number;
  /** When the 202 arrived (the reading was committed before it); null if it never did. */
  ackAt: number | null;
}

/** Devices posting readings as fast as they are acknowledged, each with times that never repeat. */
function ingestContinuously(url: string, devices: readonly ProvisionedDevice[]): { stop(): Promise<Sent[]> } {
  const sent: Sent[] = [];
  let next = 0;
  let stopped = false;
  const worker = async (device: ProvisionedDevice): Promise<void> => {
    const authorization = `Basic ${Buffer.from(`${device.id}:${SECRET}`).toString('base64')}`;
    const seriesId = device.series.level_cm ?? 0;
    let last = 0;
    while (!stopped) {
      const ts = Math.max(Date.now(), last + 1);
      last = ts;
      const reading: Sent = { seriesId, value: next++, ts, ackAt: null };
      sent.push(reading);
      const answer = await fetch(`${url}/api/v1/ingest`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ ts, values: { level_cm: reading.value } }),
      }).catch(() => null);
      if (answer?.status === 202) reading.ackAt = Date.now();
      await answer?.arrayBuffer();
      await sleep(5);
    }
  };
  const running = Promise.all(devices.map(worker));
  return {
    async stop() {
      stopped = true;
      await running;
      return sent;
    },
  };
}

/** `2026-12-04 10:15:00.123+00`, the form pgBackRest parses to choose the backup set. */
const pgTime = (ms: number): string => `${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}+00`;

/** Switches to a new WAL segment and waits until the one holding everything so far is in the archive. */
async function archiveEverythingSoFar(adminUrl: string): Promise<void> {
  const [switched] = await adminQuery<{ wal: string }>(
    adminUrl,
    'SELECT pg_walfile_name(pg_switch_wal()) AS wal',
  );
  await until(
    async () => {
      const [archiver] = await adminQuery<{ last: string | null }>(
        adminUrl,
        'SELECT last_archived_wal AS last FROM pg_stat_archiver',
      );
      return archiver?.last && switched && archiver.last >= switched.wal ? true : undefined;
    },
    30_000,
    'the WAL segment holding the target to be archived',
  );
}

describe('restore drill: base backup and archived WAL, restored to a point in time', () => {
  let cluster: ScratchCluster | undefined;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    await cluster?.remove();
  });

  it('brings back every reading acknowledged before the target and none sent after it', async () => {
    const started = performance.now();
    const [sourcePort, restoredPort] = [await freePort(), await freePort()];
    cluster = await createScratchCluster(inject('adminUrl'));
    await cluster.init('source');
    await cluster.start('source', sourcePort);
    const env = {
      ...process.env,
      DATABASE_ADMIN_URL: cluster.urlOf(sourcePort),
      BACKUP_STANZA: 'drill',
      BACKUP_REPO: path.join(cluster.dir, 'repo'),
      BACKUP_CONFIG: path.join(cluster.dir, 'pgbackrest.conf'),
      BACKUP_LOG_PATH: path.join(cluster.dir, 'log'),
      BACKUP_LOCK_PATH: path.join(cluster.dir, 'lock'),
    };
    const backup = (...args: string[]) =>
      run('bash', [path.join(root, 'scripts/backup.sh'), ...args], { env, timeout: 120_000 });

    // npm run backup:setup, as the README has an administrator run it: archiving needs a restart first.
    await expect(backup('setup')).rejects.toMatchObject({ code: 3 });
    await cluster.restart('source', sourcePort);
    await backup('setup');

    const adminUrl = cluster.urlOf(sourcePort, 'tidewatch');
    await ensureDatabaseExists(adminUrl);
    await applyMigrations(adminUrl);
    await adminQuery(
      adminUrl,
      `WITH t AS (INSERT INTO tenants (slug, name) VALUES ('restore-drill', 'Restore drill') RETURNING id)
       INSERT INTO metrics (tenant_id, key, name, unit) SELECT id, 'level_cm', 'Level', 'cm' FROM t`,
    );
    const devices = await provisionDevices(adminUrl, {
      tenantSlug: 'restore-drill',
      count: WORKERS,
      metricKeys: ['level_cm'],
      secret: SECRET,
      label: 'Drill logger',
    });
    server = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: cluster.urlOf(sourcePort, 'tidewatch').replace('postgres@', 'tidewatch_app@'),
      // A database without accounts: the first start needs its administrator, as a real install does.
      env: {
        TIDEWATCH_ADMIN_EMAIL: 'drill@utility.example',
        TIDEWATCH_ADMIN_PASSWORD: 'restore-drill-first-admin',
      },
    });
    await server.start();

    // Readings flow throughout: before, during and after the base backup, and past the target.
    const ingest = ingestContinuously(server.url, devices);
    await sleep(2000);
    const backupStarted = performance.now();
    await backup('run', 'full');
    const backupS = (performance.now() - backupStarted) / 1000;
    await sleep(2000);
    const target = Date.now();
    await sleep(3000);
    const sent = await ingest.stop();
    await server.stop();
    server = undefined;
    await archiveEverythingSoFar(adminUrl);

    const restoreStarted = performance.now();
    await backup('restore', `--target=${pgTime(target)}`, `--pg-path=${path.join(cluster.dir, 'restored')}`);
    const restoreS = (performance.now() - restoreStarted) / 1000;
    const replayStarted = performance.now();
    await cluster.start('restored', restoredPort);
    const restoredUrl = cluster.urlOf(restoredPort, 'tidewatch');
    await until(
      async () => {
        const [state] = await adminQuery<{ recovering: boolean }>(
          restoredUrl,
          'SELECT pg_is_in_recovery() AS recovering',
        );
        return state?.recovering === false ? true : undefined;
      },
      60_000,
      'the restored cluster to reach the target and promote',
    );
    const replayS = (performance.now() - replayStarted) / 1000;

    const restoredValues = new Set(
      (await adminQuery<{ value: number }>(restoredUrl, 'SELECT value FROM telemetry')).map(
        (row) => row.value,
      ),
    );
    const sourceCount = Number(
      (await adminQuery<{ n: string }>(adminUrl, 'SELECT count(*) AS n FROM telemetry'))[0]?.n,
    );
    const ackedBeforeTarget = sent.filter((r) => r.ackAt !== null && r.ackAt < target);
    const missing = ackedBeforeTarget.filter((r) => !restoredValues.has(r.value));
    const sentAfterTarget = sent.filter((r) => r.ts > target);
    const restoredFromAfter = sentAfterTarget.filter((r) => restoredValues.has(r.value));
    const inFlightAtTarget = sent.filter(
      (r) => r.ts <= target && (r.ackAt === null || r.ackAt >= target) && restoredValues.has(r.value),
    );
    const newestRestored = Math.max(...sent.filter((r) => restoredValues.has(r.value)).map((r) => r.ts));
    const figures = {
      readingsSent: sent.length,
      readingsAcknowledged: sent.filter((r) => r.ackAt !== null).length,
      ackedBeforeTarget: ackedBeforeTarget.length,
      missing: missing.length,
      restored: restoredValues.size,
      inFlightAtTargetRestored: inFlightAtTarget.length,
      sentAfterTargetRestored: restoredFromAfter.length,
      storedInSource: sourceCount,
      recoveryPointMs: target - newestRestored,
      backupS: Number(backupS.toFixed(1)),
      restoreS: Number(restoreS.toFixed(1)),
      replayS: Number(replayS.toFixed(1)),
      recoveryTimeS: Number((restoreS + replayS).toFixed(1)),
      drillS: Number(((performance.now() - started) / 1000).toFixed(1)),
    };
    console.info(`restore drill: ${JSON.stringify(figures)}`);

    expect(ackedBeforeTarget.length).toBeGreaterThan(100);
    expect(sentAfterTarget.length).toBeGreaterThan(10);
    expect(missing.map((r) => r.value)).toEqual([]);
    expect(restoredFromAfter.map((r) => r.value)).toEqual([]);
    expect(restoredValues.size).toBe(ackedBeforeTarget.length + inFlightAtTarget.length);
    expect(sourceCount).toBeGreaterThan(restoredValues.size);
    // With WAL archiving the newest restored reading is the last one committed before the target.
    expect(figures.recoveryPointMs).toBeLessThan(1000);
  });
});
