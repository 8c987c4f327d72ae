import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { AssetForecast, DmaLeague, IsolationPlan } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { accessToken, adminRows } from '../src/api.ts';
import { screenshot } from '../src/browser.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { connectDemoDevice } from '../src/demo-device.ts';
import { signIn } from '../src/console.ts';

const [hyderabad] = demoTenants;

async function apiJson<T>(url: string, token: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${url}: ${String(response.status)} ${await response.text()}`);
  return (await response.json()) as T;
}

describe('the DMA view, the level forecast and the isolation plan', () => {
  const suite = consoleSuite();

  it('shows the league table of the seeded DMAs in the order the API ranks them, and a DMA’s nights', async () => {
    const token = await accessToken(suite.server.url, demoEmail('operator', hyderabad));
    const league = await apiJson<DmaLeague>(`${suite.server.url}/api/v1/dmas/league`, token);
    expect(league.rows.length).toBe(4);

    const page = await signIn(suite.browser, suite.server.url, demoEmail('operator', hyderabad));
    const tab = page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'DMAs' });
    await tab.click();
    // Seen once in CI (stop 37): the tab never became current after its click. What the screen read then tells.
    await expect
      .poll(() => tab.getAttribute('aria-current'))
      .toBe('page')
      .catch(async (error: unknown) => {
        await screenshot(page, 'dma-tab-not-current');
        const shown = (await page.locator('body').innerText()).slice(0, 1000);
        throw new Error(`the DMAs tab did not become current; the screen read: ${shown}`, { cause: error });
      });
    const table = page.getByRole('table', { name: 'DMA league table' });
    // Once seen in CI and never here since: the table did not show within 30 s. What the screen said instead tells.
    await table.waitFor({ timeout: 30_000 }).catch(async (error: unknown) => {
      await screenshot(page, 'dma-league-missing');
      const shown = (await page.locator('body').innerText()).slice(0, 1000);
      throw new Error(`no DMA league table; the screen read: ${shown}`, { cause: error });
    });
    const shown = await table
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-zone-id') ?? ''));
    expect(shown).toEqual(league.rows.map((row) => row.zoneId));

    const last = league.rows.at(-1);
    if (!last) throw new Error('no DMA');
    await table.locator(`tbody tr[data-zone-id="${last.zoneId}"]`).click();
    const nights = page.getByRole('table', { name: 'DMA nights' });
    await expect.poll(() => nights.locator('tbody tr').count(), { timeout: 15_000 }).toBe(14);
  });

  it('shows a tank’s time to full in its asset detail as the API forecasts it', async () => {
    const [tank] = await adminRows<{
      id: string;
      code: string;
      device_id: string;
      key: string;
      last: number;
    }>(
      `SELECT a.id, a.code, d.id AS device_id, m.key,
              coalesce((SELECT value FROM telemetry r WHERE r.series_id = s.id ORDER BY time DESC LIMIT 1), 100) AS last
         FROM assets a JOIN tenants t ON t.id = a.tenant_id
         JOIN devices d ON d.asset_id = a.id JOIN series s ON s.device_id = d.id JOIN metrics m ON m.id = s.metric_id
        WHERE t.slug = $1 AND a.kind = 'tank' AND a.archived_at IS NULL AND m.unit = 'cm'
          AND d.transport = 'mqtt' AND d.disabled_at IS NULL AND d.credential_hash IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM calibrations c WHERE c.series_id = s.id)
        ORDER BY a.code LIMIT 1`,
      [hyderabad.slug],
    );
    if (!tank) throw new Error('no seeded tank with a level reported over MQTT');
    // The seed's history ends when the run began, maybe longer ago than the forecast's window: the tank's device
    // reports the last ten minutes itself, rising gently (no alarm), so the trend does not depend on the clock.
    const device = await connectDemoDevice(suite.server.mqttUrl, tank.device_id);
    const now = Date.now();
    try {
      const readings = Array.from({ length: 10 }, (_, i) => ({
        ts: now - (10 - i) * 60_000,
        values: { [tank.key]: Math.round((tank.last + 0.2 * i) * 100) / 100 },
      }));
      await device.publishAsync(`devices/${tank.device_id}/telemetry`, JSON.stringify(readings), { qos: 1 });
    } finally {
      await device.endAsync();
    }
    const token = await accessToken(suite.server.url, demoEmail('supervisor', hyderabad));
    const forecastNow = () =>
      apiJson<AssetForecast>(`${suite.server.url}/api/v1/assets/${tank.id}/forecast`, token);
    await expect
      .poll(async () => (await forecastNow()).series.some((s) => s.ratePerMin !== null), { timeout: 15_000 })
      .toBe(true);

    const page = await signIn(suite.browser, suite.server.url, demoEmail('supervisor', hyderabad));
    await page.goto(`${suite.server.url}/?view=map`);
    await page
      .getByTestId('tenant-map')
      .and(page.locator('[data-map-ready="true"]'))
      .waitFor({ timeout: 60_000 });
    await page.getByLabel('Find asset').fill(tank.code);
    await page.getByRole('list', { name: 'Assets found' }).locator(`[data-asset-id="${tank.id}"]`).click();
    const detail = page.getByRole('complementary', { name: `Asset ${tank.code}` });
    const panel = detail.getByTestId('tank-forecast');
    await panel.waitFor({ timeout: 15_000 });
    await expect.poll(() => panel.textContent(), { timeout: 15_000 }).toMatch(/full .* empty /);
  });

  it('plans the isolation of a seeded pipe on the map as the API has it, and attaches it to an incident', async () => {
    const token = await accessToken(suite.server.url, demoEmail('supervisor', hyderabad));
    // A pipe next to a valve whose isolation cuts something off: the plan has valves, a section and a loss.
    const candidates = await adminRows<{ id: string; code: string }>(
      `SELECT p.id, p.code FROM assets p JOIN tenants t ON t.id = p.tenant_id
         JOIN assets v ON v.id IN (p.from_asset_id, p.to_asset_id) AND v.kind = 'valve'
        WHERE t.slug = $1 AND p.kind = 'pipeline' AND p.archived_at IS NULL
        ORDER BY p.code LIMIT 40`,
      [hyderabad.slug],
    );
    let chosen: { id: string; code: string; plan: IsolationPlan } | undefined;
    for (const pipe of candidates) {
      const plan = await apiJson<IsolationPlan>(
        `${suite.server.url}/api/v1/spatial/pipes/${pipe.id}/isolation`,
        token,
      );
      if (plan.isolated && plan.valves.length > 0 && plan.lostSupply.assets.length > 0) {
        chosen = { ...pipe, plan };
        break;
      }
    }
    if (!chosen) throw new Error('no seeded pipe next to a valve cuts anything off when isolated');

    const page = await signIn(suite.browser, suite.server.url, demoEmail('supervisor', hyderabad));
    await page.goto(`${suite.server.url}/?view=map`);
    await page
      .getByTestId('tenant-map')
      .and(page.locator('[data-map-ready="true"]'))
      .waitFor({ timeout: 60_000 });
    await page.getByLabel('Find asset').fill(chosen.code);
    await page.getByRole('list', { name: 'Assets found' }).locator(`[data-asset-id="${chosen.id}"]`).click();
    const detail = page.getByRole('complementary', { name: `Asset ${chosen.code}` });
    await detail.getByRole('button', { name: 'Plan isolation' }).click();
    const shown = page.locator(`[data-testid="isolation-plan"][data-pipe-id="${chosen.id}"]`);
    await shown.waitFor({ timeout: 10_000 });
    const codes = (testId: string) =>
      shown
        .getByTestId(testId)
        .locator('li')
        .evaluateAll((items) => items.map((item) => item.getAttribute('data-code') ?? ''));
    expect(await codes('isolation-valves')).toEqual(chosen.plan.valves.map((valve) => valve.code));
    expect(await codes('isolation-assets')).toEqual(
      [...chosen.plan.section.assets, ...chosen.plan.lostSupply.assets].map((asset) => asset.code),
    );
    expect(await shown.getByTestId('isolation-connections').textContent()).toBe(
      String(chosen.plan.connectionsAffected),
    );
    await screenshot(page, 'isolation-plan');

    // Attached to a new incident about the pipe, then to the same incident again as a note.
    await shown.getByRole('button', { name: 'Attach plan' }).click();
    const attached = shown.getByTestId('isolation-attached');
    await expect.poll(() => attached.textContent(), { timeout: 10_000 }).toMatch(/Attached to incident #\d+/);
    const [incident] = await adminRows<{ id: string; number: number; description: string }>(
      `SELECT id, number, description FROM incidents WHERE asset_id = $1 ORDER BY opened_at DESC LIMIT 1`,
      [chosen.id],
    );
    if (!incident) throw new Error('no incident about the pipe');
    expect(incident.description).toContain(
      `Close valves: ${chosen.plan.valves.map((v) => v.code).join(', ')}`,
    );
    await shown.getByLabel('Incident to attach the plan to').selectOption(incident.id);
    await shown.getByRole('button', { name: 'Attach plan' }).click();
    await expect
      .poll(
        async () =>
          (
            await adminRows<{ n: number }>(
              `SELECT count(*)::int AS n FROM incident_notes WHERE incident_id = $1 AND body LIKE $2`,
              [incident.id, `Isolation plan for ${chosen.code}%`],
            )
          )[0]?.n,
        { timeout: 10_000 },
      )
      .toBe(1);
  });
});
