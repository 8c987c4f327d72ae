import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { ServerProcess } from '@tidewatch/server/testing/server-process';
import type { AlertRulePreview, AssetExport } from '@tidewatch/shared';
import { describe, expect, inject, it } from 'vitest';
import { accessToken, adminRows } from '../src/api.ts';
import { screenshot } from '../src/browser.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { signIn } from '../src/console.ts';
import { freePort } from '../src/ports.ts';

const [hyderabad] = demoTenants;

/** The server's own answer for a `high` rule on one series, as the console would send it. */
async function serverPreview(serverUrl: string, token: string, seriesId: number, setpoint: number) {
  const response = await fetch(`${serverUrl}/api/v1/alert-rules/preview`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'E2E preview',
      condition: 'high',
      priority: 'high',
      scope: 'series',
      seriesId,
      setpoint,
    }),
  });
  if (response.status !== 200)
    throw new Error(`preview: ${String(response.status)} ${await response.text()}`);
  return (await response.json()) as AlertRulePreview;
}

interface FixtureFeed {
  readonly channel: Record<string, unknown>;
  readonly feeds: { created_at: string; entry_id: number }[];
}

/** A stand-in for ThingSpeak's read API: every channel answers the fixture's entries, the newest a minute ago. */
async function fakeThingSpeak(): Promise<{ url: string; requests: URL[]; close: () => Promise<void> }> {
  const file = path.resolve(
    import.meta.dirname,
    '../../apps/server/test/fixtures/thingspeak/channel-feed.json',
  );
  const fixture = JSON.parse(await readFile(file, 'utf8')) as FixtureFeed;
  const last = Date.parse(fixture.feeds.at(-1)?.created_at ?? '');
  const requests: URL[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/channels\/(\d+)\/feeds\.json$/.exec(url.pathname);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    requests.push(url);
    const shift = Math.floor((Date.now() - 60_000) / 1000) * 1000 - last;
    const feeds = fixture.feeds
      .map((entry) => ({
        ...entry,
        created_at: new Date(Date.parse(entry.created_at) + shift).toISOString(),
      }))
      .slice(-Number(url.searchParams.get('results') ?? 100));
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ channel: { ...fixture.channel, id: Number(match[1]) }, feeds }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe('alarm rules and network administration', () => {
  const suite = consoleSuite();

  it('previews a new rule on a seeded series with the count the server computes', async () => {
    const [series] = await adminRows<{ id: number; p90: number }>(
      `SELECT s.id, percentile_cont(0.9) WITHIN GROUP (ORDER BY t.value) AS p90
         FROM telemetry t JOIN series s ON s.id = t.series_id JOIN devices d ON d.id = s.device_id
         JOIN tenants tn ON tn.id = s.tenant_id
        WHERE tn.slug = $1 AND d.disabled_at IS NULL AND t.time > now() - interval '7 days'
        GROUP BY s.id HAVING count(*) > 200 ORDER BY s.id LIMIT 1`,
      [hyderabad.slug],
    );
    expect(series).toBeDefined();
    const seriesId = series?.id ?? 0;
    const setpoint = Math.round((series?.p90 ?? 0) * 100) / 100;
    const email = demoEmail('supervisor', hyderabad);
    const token = await accessToken(suite.server.url, email);
    const page = await signIn(suite.browser, suite.server.url, email);

    await page.getByRole('button', { name: 'Alarm management' }).click();
    await page.getByRole('button', { name: 'New rule' }).click();
    const editor = page.getByRole('form', { name: 'New rule' });
    await editor.getByLabel('Rule name').fill('E2E tank high');
    await editor.getByLabel('Series').selectOption(String(seriesId));
    await editor.getByLabel('Limit', { exact: true }).fill(String(setpoint));
    const before = await serverPreview(suite.server.url, token, seriesId, setpoint);
    await editor.getByRole('button', { name: 'Preview last 7 days' }).click();
    const shown = editor.getByTestId('rule-preview');
    await shown.waitFor();
    const after = await serverPreview(suite.server.url, token, seriesId, setpoint);
    await screenshot(page, 'alarm-rule-preview');

    const total = Number(await shown.getAttribute('data-total'));
    expect(before.totalRaises).toBeGreaterThan(0);
    // The window moves with the clock: the console's answer is the server's, from just before or just after.
    expect([before.totalRaises, after.totalRaises]).toContain(total);
    expect(await editor.getByTestId('rule-preview-total').textContent()).toBe(String(total));
    expect(await editor.getByRole('list', { name: 'Raise times' }).getByRole('listitem').count()).toBe(
      Math.min(10, total),
    );
    // Nothing was saved by previewing.
    expect(await adminRows(`SELECT 1 FROM alert_rules WHERE name = 'E2E tank high'`)).toHaveLength(0);
    await page.context().close();
  });

  it('finds the asset of a new rule by part of its code, and names it in the rules list', async () => {
    const [asset] = await adminRows<{ id: string; code: string }>(
      `SELECT a.id, a.code FROM assets a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND a.kind = 'tank' AND a.archived_at IS NULL ORDER BY a.code LIMIT 1`,
      [hyderabad.slug],
    );
    if (!asset) throw new Error('the seed has a tank');
    const page = await signIn(suite.browser, suite.server.url, demoEmail('supervisor', hyderabad));
    await page.getByRole('button', { name: 'Alarm management' }).click();
    await page.getByRole('button', { name: 'New rule' }).click();
    const editor = page.getByRole('form', { name: 'New rule' });
    await editor.getByLabel('Rule name').fill('E2E asset rule');
    await editor.getByLabel('Target').selectOption('asset');
    // The list holds what the search found, not the whole network: the asset is found by typing.
    await editor.getByLabel('Search assets by code or name').fill(asset.code.slice(0, -1));
    await editor.locator(`option[value="${asset.id}"]`).waitFor({ state: 'attached' });
    await editor.getByLabel('Asset', { exact: true }).selectOption(asset.id);
    await editor.getByLabel('Metric').locator('option').nth(1).waitFor({ state: 'attached' });
    await editor.getByLabel('Metric').selectOption({ index: 1 });
    await editor.getByLabel('Limit', { exact: true }).fill('1000000');
    await editor.getByRole('button', { name: 'Create rule' }).click();

    await expect
      .poll(async () => (await adminRows(`SELECT 1 FROM alert_rules WHERE name = 'E2E asset rule'`)).length)
      .toBe(1);
    const [stored] = await adminRows<{ id: string; asset_id: string }>(
      `SELECT id, asset_id FROM alert_rules WHERE name = 'E2E asset rule'`,
    );
    const row = page.locator(`[data-rule-id="${stored?.id ?? ''}"]`);
    await expect.poll(() => row.textContent()).toContain(`asset ${asset.code}`);
    expect(stored?.asset_id).toBe(asset.id);
    await page.context().close();
  });

  it('archives a rule that raised alerts: it leaves the rules, is listed as archived, and its alert stays', async () => {
    const email = demoEmail('supervisor', hyderabad);
    const token = await accessToken(suite.server.url, email);
    const [series] = await adminRows<{ id: number; tenant_id: string }>(
      `SELECT s.id, s.tenant_id FROM series s JOIN tenants t ON t.id = s.tenant_id WHERE t.slug = $1
        ORDER BY s.id LIMIT 1`,
      [hyderabad.slug],
    );
    const created = await fetch(`${suite.server.url}/api/v1/alert-rules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'E2E rule to archive',
        condition: 'high',
        priority: 'low',
        scope: 'series',
        seriesId: series?.id,
        setpoint: 1e9,
      }),
    });
    const rule = (await created.json()) as { id: string };
    // An alert it raised once, long closed: history that names the rule.
    await adminRows(
      `INSERT INTO alerts (tenant_id, rule_id, target_key, series_id, state, priority, original_priority, message,
                           condition_active, raised_at, closed_at)
       VALUES ($1, $2, $3, $4, 'normal', 'low', 'low', 'E2E history', false, now() - interval '2 days',
               now() - interval '1 day')`,
      [series?.tenant_id, rule.id, `series:${String(series?.id)}`, series?.id],
    );
    const page = await signIn(suite.browser, suite.server.url, email);
    await page.getByRole('button', { name: 'Alarm management' }).click();
    const row = page.locator(`[data-rule-id="${rule.id}"]`);
    page.once('dialog', (confirm) => void confirm.accept());
    await row.getByRole('button', { name: 'Archive' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByLabel('Show archived rules').check();
    await page.locator(`[data-archived-rule-id="${rule.id}"]`).waitFor();
    await screenshot(page, 'alarm-rule-archived');

    const [stored] = await adminRows<{ archived: boolean; enabled: boolean; alerts: number }>(
      `SELECT r.archived_at IS NOT NULL AS archived, r.enabled,
              (SELECT count(*)::integer FROM alerts a WHERE a.rule_id = r.id) AS alerts
         FROM alert_rules r WHERE r.id = $1`,
      [rule.id],
    );
    expect(stored).toEqual({ archived: true, enabled: false, alerts: 1 });
    await page.context().close();
  });

  it("downloads a GeoJSON export holding every one of the tenant's assets", async () => {
    const page = await signIn(suite.browser, suite.server.url, demoEmail('admin', hyderabad));
    await page.goto(`${suite.server.url}/?view=admin`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export GeoJSON' }).click(),
    ]);
    const file = JSON.parse(await readFile(await download.path(), 'utf8')) as AssetExport;
    const [stored] = await adminRows<{ n: number }>(
      `SELECT count(*)::integer AS n FROM assets a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND a.archived_at IS NULL`,
      [hyderabad.slug],
    );
    await page.getByTestId('export-result').waitFor();
    await screenshot(page, 'admin-geojson-exported');

    expect(download.suggestedFilename()).toMatch(/^assets-\d{4}-\d{2}-\d{2}\.geojson$/);
    expect(file.type).toBe('FeatureCollection');
    expect(file.features).toHaveLength(stored?.n ?? -1);
    expect(await page.getByTestId('export-result').getAttribute('data-count')).toBe(String(stored?.n));
    await page.context().close();
  });

  it('previews a ThingSpeak mapping against the channel, then saves it', async () => {
    const fake = await fakeThingSpeak();
    const server = new ServerProcess({
      port: await freePort(),
      mqttPort: await freePort(),
      databaseUrl: inject('appUrl'),
      env: { THINGSPEAK_ENABLED: 'true', THINGSPEAK_URL: fake.url, THINGSPEAK_TICK_MS: '600000' },
    });
    await server.start();
    try {
      const [bound] = await adminRows<{ device_id: string; channel_id: string }>(
        `SELECT b.device_id, b.channel_id::text FROM thingspeak_bindings b JOIN tenants t ON t.id = b.tenant_id
          WHERE t.slug = $1 LIMIT 1`,
        [hyderabad.slug],
      );
      expect(bound).toBeDefined();
      const page = await signIn(suite.browser, server.url, demoEmail('admin', hyderabad));
      await page.goto(`${server.url}/?view=admin`);
      await page
        .locator(`[data-device-id="${bound?.device_id ?? ''}"]`)
        .getByRole('button', { name: 'ThingSpeak channel' })
        .click();
      const editor = page.getByRole('form', { name: /^ThingSpeak binding of / });
      expect(await editor.getByLabel('Channel', { exact: true }).inputValue()).toBe(bound?.channel_id);
      await editor.getByLabel('Scale of mapping 1').fill('0.5');
      await editor.getByLabel('Offset of mapping 1').fill('10');
      await editor.getByRole('button', { name: 'Preview', exact: true }).click();
      const table = editor.getByTestId('thingspeak-preview');
      await table.waitFor();
      await screenshot(page, 'admin-thingspeak-preview');

      expect(await table.locator('tbody tr').count()).toBe(10);
      const newest = table.locator('tbody tr').last();
      // The fixture's newest entry: field1 190.8 cm, mapped as 190.8 * 0.5 + 10.
      expect(await newest.getAttribute('data-entry-id')).toBe('4179');
      expect(await newest.locator('td').nth(2).innerText()).toContain('105.4');
      const reads = fake.requests.filter(
        (url) => url.pathname === `/channels/${bound?.channel_id ?? ''}/feeds.json`,
      );
      expect(reads.at(-1)?.searchParams.get('results')).toBe('10');

      await editor.getByRole('button', { name: 'Save binding' }).click();
      await expect
        .poll(async () => {
          const [mapping] = await adminRows<{ scale: number; offset: number }>(
            `SELECT m.scale, m."offset" FROM thingspeak_field_mappings m JOIN thingspeak_bindings b ON b.id = m.binding_id
              WHERE b.device_id = $1 AND m.field_number = 1`,
            [bound?.device_id],
          );
          return mapping;
        })
        .toEqual({ scale: 0.5, offset: 10 });
      await page.context().close();
    } finally {
      await server.stop();
      await fake.close();
    }
  });
});
