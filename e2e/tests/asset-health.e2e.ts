import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { AssetHealth, AssetHealthList } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { accessToken, adminRows } from '../src/api.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { signIn } from '../src/console.ts';

const [hyderabad] = demoTenants;

async function apiJson<T>(url: string, token: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${url}: ${String(response.status)} ${await response.text()}`);
  return (await response.json()) as T;
}

describe('asset health', () => {
  const suite = consoleSuite();

  it('shows a pump’s health score and run record in its detail, and colours the map by health on the toggle', async () => {
    const [pump] = await adminRows<{ id: string; code: string }>(
      `SELECT a.id, a.code FROM assets a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND a.kind = 'pump' AND a.archived_at IS NULL
          AND EXISTS (SELECT 1 FROM devices d JOIN series s ON s.device_id = d.id JOIN metrics m ON m.id = s.metric_id
                       WHERE d.asset_id = a.id AND m.key = 'pump_state')
        ORDER BY a.code LIMIT 1`,
      [hyderabad.slug],
    );
    if (!pump) throw new Error('no seeded pump with a run state');
    const token = await accessToken(suite.server.url, demoEmail('supervisor', hyderabad));
    const health = await apiJson<AssetHealth>(`${suite.server.url}/api/v1/assets/${pump.id}/health`, token);
    expect(health.pump?.metricKey).toBe('pump_state');
    const list = await apiJson<AssetHealthList>(`${suite.server.url}/api/v1/asset-health`, token);

    const page = await signIn(suite.browser, suite.server.url, demoEmail('supervisor', hyderabad));
    await page.goto(`${suite.server.url}/?view=map`);
    const map = page.getByTestId('tenant-map').and(page.locator('[data-map-ready="true"]'));
    await map.waitFor({ timeout: 60_000 });
    await page.getByLabel('Find asset').fill(pump.code);
    await page.getByRole('list', { name: 'Assets found' }).locator(`[data-asset-id="${pump.id}"]`).click();
    const panel = page.getByRole('complementary', { name: `Asset ${pump.code}` }).getByTestId('asset-health');
    await panel.waitFor({ timeout: 15_000 });
    // The score as the API gives it now (live data may move it between the two reads).
    await expect
      .poll(
        async () => {
          const now = await apiJson<AssetHealth>(
            `${suite.server.url}/api/v1/assets/${pump.id}/health`,
            token,
          );
          return Number(await panel.getByTestId('health-score').textContent()) === now.score;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await expect
      .poll(() => panel.getByTestId('pump-runtime').textContent())
      .toMatch(/ran \d+\.\d h, \d+ starts/);

    await expect.poll(() => map.getAttribute('data-health-coloured')).toBe('0');
    await page.getByLabel('Colour by health').check();
    await expect
      .poll(() => map.getAttribute('data-health-coloured'), { timeout: 15_000 })
      .toBe(String(list.items.length));
  });
});
