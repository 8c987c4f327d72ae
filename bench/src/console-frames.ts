import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { TokenResponse } from '@tidewatch/shared';
import pg from 'pg';
import { chromium, type Page } from 'playwright-core';
import { consoleServer, sampleFrames, summarizeFrames } from './console-page.ts';
import { writeResults } from './results-file.ts';
import { machineInfo, round } from './stats.ts';

// Console frame times: the web console in Chromium with BENCH_ALERTS (10,000) open alerts loaded, while
// BENCH_UPDATE_RATE (50) alert changes a second reach it over its socket (operators' comments and
// acknowledgements through the REST API, each broadcast as an `alert` event). requestAnimationFrame deltas and
// long tasks are recorded in the page for BENCH_PHASE_S (15) seconds each: idle without updates (the baseline),
// idle with updates, and scrolling the table with updates. Writes bench/results/console-frames.json.

const alertCount = Number(process.env.BENCH_ALERTS ?? 10_000);
const updateRate = Number(process.env.BENCH_UPDATE_RATE ?? 50);
const phaseSeconds = Number(process.env.BENCH_PHASE_S ?? 15);
/** One update in this many is an acknowledgement (the row changes state and place); the rest are comments. */
const ACKNOWLEDGE_EVERY = 5;
const SCROLL_PX_PER_FRAME = 90;
const [, pune] = demoTenants;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The entry at `index`, wrapping around. */
function pick<T>(list: readonly T[], index: number): T {
  const entry = list[index % list.length];
  if (entry === undefined) throw new Error('empty list');
  return entry;
}

/** Open alerts spread over the tenant's rules and assets, each with its raise transition (and sequence). */
async function insertAlerts(adminUrl: string, tenantSlug: string, count: number): Promise<string[]> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const tenant = await admin.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenantSlug]);
    const tenantId = tenant.rows[0]?.id;
    if (!tenantId) throw new Error(`no tenant ${tenantSlug}`);
    const rules = (
      await admin.query<{ id: string; name: string; priority: string }>(
        'SELECT id, name, priority::text FROM alert_rules WHERE tenant_id = $1 ORDER BY id',
        [tenantId],
      )
    ).rows;
    const assets = (
      await admin.query<{ id: string; zone_id: string | null; name: string }>(
        'SELECT id, zone_id, name FROM assets WHERE tenant_id = $1 ORDER BY id',
        [tenantId],
      )
    ).rows;
    if (rules.length === 0 || assets.length === 0) throw new Error('the seed has no rules or assets');
    const now = Date.now();
    const rows = Array.from({ length: count }, (_, index) => {
      const rule = pick(rules, index);
      const asset = pick(assets, index * 7);
      const value = 100 + (index % 97);
      return {
        rule: rule.id,
        target: `bench:${String(index)}`,
        asset: asset.id,
        zone: asset.zone_id,
        priority: rule.priority,
        message: `${rule.name}: ${asset.name} at ${String(value)}`,
        raisedAt: new Date(now - index * 13_000).toISOString(),
        value,
      };
    });
    const inserted = await admin.query<{ id: string }>(
      `INSERT INTO alerts (tenant_id, rule_id, target_key, asset_id, zone_id, state, priority, original_priority,
                           message, condition_active, raised_at, raised_value, last_value)
       SELECT $1, r, t, a, z, 'active_unacknowledged', p::alert_priority, p::alert_priority, m, true, at, v, v
         FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::timestamptz[],
                     $9::float8[]) AS x(r, t, a, z, p, m, at, v)
       RETURNING id`,
      [
        tenantId,
        rows.map((row) => row.rule),
        rows.map((row) => row.target),
        rows.map((row) => row.asset),
        rows.map((row) => row.zone),
        rows.map((row) => row.priority),
        rows.map((row) => row.message),
        rows.map((row) => row.raisedAt),
        rows.map((row) => row.value),
      ],
    );
    await admin.query(
      `INSERT INTO alert_transitions (tenant_id, alert_id, from_state, to_state, at, value)
       SELECT tenant_id, id, 'normal', 'active_unacknowledged', raised_at, raised_value
         FROM alerts WHERE tenant_id = $1 AND target_key LIKE 'bench:%' ORDER BY raised_at`,
      [tenantId],
    );
    return inserted.rows.map((row) => row.id);
  } finally {
    await admin.end();
  }
}

interface UpdateStats {
  sent: number;
  ok: number;
  failed: number;
  acknowledged: number;
}

/**
 * Sends alert changes at `rate` per second until `stop` resolves, without waiting for answers (open loop):
 * mostly comments on random alerts, every ACKNOWLEDGE_EVERY-th an acknowledgement of the next alert in line.
 */
function pushUpdates(serverUrl: string, token: string, alertIds: readonly string[], rate: number) {
  const stats: UpdateStats = { sent: 0, ok: 0, failed: 0, acknowledged: 0 };
  const inFlight = new Set<Promise<void>>();
  let nextToAcknowledge = 0;
  // An object, not a `let`: `stop` changes it while the loop awaits.
  const control = { running: true };
  const send = (path: string, body: unknown, acknowledging: boolean): void => {
    stats.sent += 1;
    const request = fetch(`${serverUrl}/api/v1/alerts/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.ok) {
          stats.ok += 1;
          if (acknowledging) stats.acknowledged += 1;
        } else stats.failed += 1;
      })
      .catch(() => {
        stats.failed += 1;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  const started = performance.now();
  const loop = (async () => {
    for (let index = 0; control.running; index += 1) {
      const due = started + (index * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (index % ACKNOWLEDGE_EVERY === 0 && nextToAcknowledge < alertIds.length) {
        const id = alertIds[nextToAcknowledge] ?? '';
        nextToAcknowledge += 1;
        send(`${id}/acknowledge`, { comment: 'bench acknowledgement' }, true);
      } else {
        const id = alertIds[Math.floor(Math.random() * alertIds.length)] ?? '';
        send(`${id}/comments`, { comment: `bench comment ${String(index)}` }, false);
      }
    }
  })();
  return {
    stats,
    async stop(): Promise<UpdateStats> {
      control.running = false;
      await loop;
      await Promise.all(inFlight);
      return stats;
    },
  };
}

/** Waits until the count beside the filters ("10021 alerts") reaches `count`: the whole list is in. */
async function untilAlertsShown(page: Page, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const shown = (await page.locator('.filter-bar__count').textContent()) ?? '';
    if (Number(/(\d+) alerts/.exec(shown)?.[1] ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`the console shows "${shown}", not ${String(count)} alerts`);
    await sleep(100);
  }
}

/** The unacknowledged count the web console shows in its tab title, "(1234) Tidewatch". */
async function unacknowledgedShown(page: Page): Promise<number> {
  return Number(/^\((\d+)\)/.exec(await page.title())?.[1] ?? 0);
}

const { database, server, stop } = await consoleServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--no-first-run'],
});
try {
  const alertIds = await insertAlerts(database.adminUrl, pune.slug, alertCount);
  await server.start();
  const email = demoEmail('operator', pune);
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'tidewatch-demo' }),
  });
  const { accessToken } = (await login.json()) as TokenResponse;

  const page = await (await browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
  await page.goto(server.url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('tidewatch-demo');
  const signInAt = performance.now();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await untilAlertsShown(page, alertCount);
  const loadedAfterMs = round(performance.now() - signInAt, 0);
  const rowsInDom = await page.locator('[data-testid="alert-table-body"] [role="row"]').count();
  await sleep(2000);

  const phaseMs = phaseSeconds * 1000;
  const scroll = { selector: '[data-testid="alert-table-body"]', stepPx: SCROLL_PX_PER_FRAME };
  const baseline = summarizeFrames(await sampleFrames(page, phaseMs), phaseMs);
  const waitingBefore = await unacknowledgedShown(page);
  const updates = pushUpdates(server.url, accessToken, alertIds, updateRate);
  const idle = summarizeFrames(await sampleFrames(page, phaseMs), phaseMs);
  const scrolling = summarizeFrames(await sampleFrames(page, phaseMs, scroll), phaseMs);
  const sent = await updates.stop();
  // Every acknowledgement reaches the console over the socket: the count it shows falls by as many.
  await sleep(1500);
  const waitingAfter = await unacknowledgedShown(page);

  const result = {
    benchmark: 'console-frames',
    at: new Date().toISOString(),
    note:
      `The web console in headless Chromium (software rendering) with ${String(alertCount)} open alerts, ` +
      `${String(updateRate)} alert changes a second arriving over its socket; requestAnimationFrame deltas and ` +
      'long tasks measured in the page. The server, PostgreSQL and Chromium share the machine.',
    machine: machineInfo(),
    alerts: alertCount,
    updateRatePerSecond: updateRate,
    phaseSeconds,
    loadedAfterMs,
    rowsInDom,
    phases: { idleWithoutUpdates: baseline, idleWithUpdates: idle, scrollingWithUpdates: scrolling },
    updates: {
      ...sent,
      achievedPerSecond: round(sent.ok / (2 * phaseSeconds)),
      unacknowledgedShownBefore: waitingBefore,
      unacknowledgedShownAfter: waitingAfter,
      acknowledgementsSeenByConsole: waitingBefore - waitingAfter,
    },
  };
  await writeResults('console-frames', result);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await stop();
}
