import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../src/browser.ts';
import { adminRows } from '../src/api.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { signIn } from '../src/console.ts';

const [hyderabad] = demoTenants;

describe('the map and the trends', () => {
  const suite = consoleSuite();

  it('renders the seeded tenant, lists the assets of a drawn area as PostGIS does, and opens one', async () => {
    const page = await signIn(suite.browser, suite.server.url, demoEmail('supervisor', hyderabad));
    await page.goto(`${suite.server.url}/?view=map`);
    const map = page.getByTestId('tenant-map');
    await map.and(page.locator('[data-map-ready="true"]')).waitFor({ timeout: 60_000 });
    await screenshot(page, 'map-seeded-tenant');

    await page.getByRole('button', { name: 'Select area' }).click();
    const box = await map.boundingBox();
    if (!box) throw new Error('no map box');
    for (const [fx, fy] of [
      [0.3, 0.3],
      [0.7, 0.3],
      [0.7, 0.7],
      [0.3, 0.7],
    ] as const) {
      await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
    }
    await page.getByRole('button', { name: 'Finish area' }).click();
    const result = page.getByTestId('area-result');
    await result.waitFor();
    const request = JSON.parse((await result.getAttribute('data-request')) ?? '{}') as { polygon: unknown };
    const expected = await adminRows<{ n: string }>(
      `SELECT count(*) AS n FROM assets a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND ST_Intersects(a.geom, ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))`,
      [hyderabad.slug, JSON.stringify(request.polygon)],
    );
    expect(Number(await page.getByTestId('area-count').textContent())).toBe(Number(expected[0]?.n));
    expect(Number(expected[0]?.n)).toBeGreaterThan(0);
    await screenshot(page, 'map-area-selection');

    await result.getByRole('button').first().click();
    await page.getByTestId('asset-detail').waitFor();
    await screenshot(page, 'map-asset-detail');
    await page.context().close();
  });

  it('draws a week of a seeded series under the point limit, and zooming asks again', async () => {
    const [series] = await adminRows<{ id: number }>(
      `SELECT s.id FROM series s JOIN tenants t ON t.id = s.tenant_id JOIN metrics m ON m.id = s.metric_id
        WHERE t.slug = $1 AND m.key = 'level_cm' ORDER BY s.id LIMIT 1`,
      [hyderabad.slug],
    );
    const page = await signIn(suite.browser, suite.server.url, demoEmail('operator', hyderabad));
    await page.goto(`${suite.server.url}/?view=trends&series=${String(series?.id)}`);
    await page.getByRole('button', { name: '7 d' }).click();
    const points = page.getByTestId('trend-points');
    await expect
      .poll(async () => Number(await points.getAttribute('data-points')), { timeout: 30_000 })
      .toBeGreaterThan(100);
    const week = Number(await points.getAttribute('data-points'));
    expect(week).toBeLessThanOrEqual(5000);
    await screenshot(page, 'trend-seven-days');

    const chart = page.getByTestId('trend-chart');
    const box = await chart.boundingBox();
    if (!box) throw new Error('no chart box');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
    for (let i = 0; i < 6; i += 1) await page.mouse.wheel(0, -400);
    await expect.poll(async () => points.getAttribute('data-resolution'), { timeout: 30_000 }).not.toBe('1h');
    expect(Number(await points.getAttribute('data-points'))).toBeLessThanOrEqual(5000);
    await page.context().close();
  });
});
