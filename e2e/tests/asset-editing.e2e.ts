import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../src/browser.ts';
import { accessToken, adminRows } from '../src/api.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { signIn } from '../src/console.ts';

const [hyderabad] = demoTenants;

interface Placed {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly lng: number;
  readonly lat: number;
}

const placeOf = async (id: string): Promise<Placed | undefined> =>
  (
    await adminRows<Placed>(
      'SELECT id, code, name, ST_X(geom) AS lng, ST_Y(geom) AS lat FROM assets WHERE id = $1',
      [id],
    )
  )[0];

describe('editing assets on the map', () => {
  const suite = consoleSuite();

  it('renames a tank and moves it with a click on the map; the database and the map layers agree', async () => {
    const [tank] = await adminRows<Placed>(
      `SELECT a.id, a.code, a.name, ST_X(a.geom) AS lng, ST_Y(a.geom) AS lat
         FROM assets a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND a.kind = 'tank' ORDER BY a.code LIMIT 1`,
      [hyderabad.slug],
    );
    if (!tank) throw new Error('no seeded tank');
    const page = await signIn(suite.browser, suite.server.url, demoEmail('admin', hyderabad));
    await page.goto(`${suite.server.url}/?view=map`);
    const map = page.getByTestId('tenant-map');
    await map.and(page.locator('[data-map-ready="true"]')).waitFor({ timeout: 60_000 });

    await page.getByLabel('Find asset').fill(tank.code);
    await page.getByRole('list', { name: 'Assets found' }).locator(`[data-asset-id="${tank.id}"]`).click();
    const detail = page.getByRole('complementary', { name: `Asset ${tank.code}` });
    const editor = detail.getByTestId('asset-editor');
    await editor.locator('summary').click();
    const renamed = `${tank.name} (relined)`;
    await editor.getByLabel('Name').fill(renamed);
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await placeOf(tank.id))?.name).toBe(renamed);

    await editor.getByRole('button', { name: 'Move on the map' }).click();
    await page.getByTestId('moving-hint').waitFor();
    const box = await map.boundingBox();
    if (!box) throw new Error('no map box');
    await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.3);
    await page.getByTestId('moving-hint').waitFor({ state: 'detached' });
    await editor.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await screenshot(page, 'asset-moved');

    const moved = await placeOf(tank.id);
    expect(moved).toBeDefined();
    expect(Math.abs((moved?.lng ?? 0) - tank.lng) + Math.abs((moved?.lat ?? 0) - tank.lat)).toBeGreaterThan(
      1e-5,
    );
    // Where the map draws it after the edit is where the database has it.
    const token = await accessToken(suite.server.url, demoEmail('admin', hyderabad));
    const layers = (await (
      await fetch(`${suite.server.url}/api/v1/map/layers`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { points: { ids: string[]; positions: number[] } };
    const index = layers.points.ids.indexOf(tank.id);
    expect(layers.points.positions[index * 2]).toBeCloseTo(moved?.lng ?? 0, 5);
    expect(layers.points.positions[index * 2 + 1]).toBeCloseTo(moved?.lat ?? 0, 5);
    const audit = await adminRows<{ n: string }>(
      "SELECT count(*) AS n FROM audit_log WHERE resource_id = $1::text AND action = 'asset.update'",
      [tank.id],
    );
    expect(Number(audit[0]?.n)).toBe(2);
  });
});
