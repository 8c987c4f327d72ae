import { readFile } from 'node:fs/promises';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from '../src/browser.ts';
import { adminRows } from '../src/api.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { signIn } from '../src/console.ts';
import { watchNetworkTiles } from '../src/map-page.ts';

const [hyderabad] = demoTenants;

interface Placed {
  readonly id: string;
  readonly code: string;
}

async function openMap(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/?view=map`);
  await page
    .getByTestId('tenant-map')
    .and(page.locator('[data-map-ready="true"]'))
    .waitFor({ timeout: 60_000 });
}

async function openAsset(page: Page, asset: Placed): Promise<Locator> {
  await page.getByLabel('Find asset').fill(asset.code);
  await page.getByRole('list', { name: 'Assets found' }).locator(`[data-asset-id="${asset.id}"]`).click();
  return page.getByRole('complementary', { name: `Asset ${asset.code}` });
}

/** What a click on a download button saves. */
async function downloadOf(page: Page, button: Locator): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: download.suggestedFilename(), text: await readFile(await download.path(), 'utf8') };
}

describe('tags, device records, up time and the asset timeline in the console', () => {
  const suite = consoleSuite();
  const tag = `e2e-${String(Date.now()).slice(-6)}:north`;

  it('tags an asset in its editor, then filters the map and the list of assets by the tag', async () => {
    const [tank] = await adminRows<Placed>(
      `SELECT a.id, a.code FROM assets a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND a.kind = 'tank' AND a.archived_at IS NULL ORDER BY a.code DESC LIMIT 1`,
      [hyderabad.slug],
    );
    if (!tank) throw new Error('no seeded tank');
    const page = await signIn(suite.browser, suite.server.url, demoEmail('admin', hyderabad));
    const tiles = watchNetworkTiles(page);
    await openMap(page, suite.server.url);

    const detail = await openAsset(page, tank);
    const editor = detail.getByTestId('asset-editor');
    await editor.locator('summary').click();
    await editor.getByTestId('asset-tags').fill(`${tag} renewal:planned`);
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await detail.getByTestId('asset-tags-shown').filter({ hasText: tag }).waitFor();
    const stored = await adminRows<{ tag: string }>(
      `SELECT t.key || ':' || t.value AS tag FROM asset_tags x JOIN tags t ON t.id = x.tag_id
        WHERE x.asset_id = $1 ORDER BY 1`,
      [tank.id],
    );
    expect(stored.map((row) => row.tag)).toContain(tag);

    const filter = page.getByTestId('tag-filter');
    await filter.getByLabel('Filter by tag').fill(tag.split(':')[0] ?? tag);
    await filter.getByRole('button', { name: 'Filter' }).click();
    const listed = page.getByRole('list', { name: 'Assets with the tag' });
    await listed.locator(`[data-asset-id="${tank.id}"]`).waitFor();
    expect(await listed.locator('[data-asset-id]').count()).toBe(1);
    await page.locator(`[data-testid="tenant-map"][data-tag-filter="${tag.split(':')[0] ?? ''}"]`).waitFor();
    // The tiles the map draws carry the tag the filter matches.
    await page.waitForTimeout(500);
    const drawn = await tiles.answers();
    const tagged = drawn.flatMap((t) => t.tile.points ?? []).filter((f) => f.properties.id === tank.id);
    if (tagged.length > 0) expect(String(tagged.at(-1)?.properties.tags)).toContain(`,${tag},`);
    await screenshot(page, 'map-filtered-by-tag');
    await page.close();
  });

  it('adds a calibration and a firmware version to a device, and downloads its up time as CSV', async () => {
    const [device] = await adminRows<{ id: string; name: string }>(
      `SELECT d.id, d.name FROM devices d JOIN tenants t ON t.id = d.tenant_id
        WHERE t.slug = $1 AND d.transport = 'mqtt' AND EXISTS (SELECT 1 FROM series s WHERE s.device_id = d.id)
        ORDER BY d.name LIMIT 1`,
      [hyderabad.slug],
    );
    if (!device) throw new Error('no seeded device');
    const page = await signIn(suite.browser, suite.server.url, demoEmail('admin', hyderabad));
    await page.goto(`${suite.server.url}/?view=admin`);
    const row = page.locator(`tr[data-device-id="${device.id}"]`);
    await row.getByRole('button', { name: 'Records' }).click();
    const records = page.getByTestId('device-records');

    const calibration = records.getByRole('form', { name: 'Add calibration' });
    await calibration.getByLabel('Scale').fill('1.02');
    await calibration.getByLabel('Offset').fill('-0.5');
    await calibration.getByLabel('Note').fill('e2e field check');
    await calibration.getByRole('button', { name: 'Add calibration' }).click();
    await records.getByRole('table', { name: 'Calibrations' }).getByText('e2e field check').waitFor();

    const firmware = records.getByRole('form', { name: 'Add firmware' });
    await firmware.getByLabel('Version').fill('9.9.9-e2e');
    await firmware.getByRole('button', { name: 'Record firmware' }).click();
    await records.getByRole('list', { name: 'Firmware versions' }).getByText('9.9.9-e2e').waitFor();

    await records.getByTestId('uptime').filter({ hasText: 'Up time:' }).waitFor();
    const csv = await downloadOf(page, records.getByRole('button', { name: 'Download CSV' }));
    expect(csv.name).toMatch(/\.csv$/);
    expect(csv.text.split('\n')[0]).toMatch(/,/);

    // The zone's SLA: a zone chosen, its up time shown, its CSV downloaded.
    const sla = page.getByTestId('zone-availability');
    const zoneSelect = sla.getByLabel('Zone');
    const firstZone = await zoneSelect.locator('option').nth(1).getAttribute('value');
    await zoneSelect.selectOption(firstZone ?? '');
    await sla.getByTestId('uptime').waitFor();
    const zoneCsv = await downloadOf(page, sla.getByRole('button', { name: 'Download CSV' }));
    expect(zoneCsv.text.length).toBeGreaterThan(0);
    await screenshot(page, 'device-records');
    const audited = await adminRows<{ n: string }>(
      `SELECT count(*) AS n FROM audit_log
        WHERE action IN ('device.availability_export', 'zone.availability_export') AND at > now() - interval '5 minutes'`,
    );
    expect(Number(audited[0]?.n)).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it('shows work the maintenance role logs on an asset in its timeline', async () => {
    const [pump] = await adminRows<Placed>(
      `SELECT a.id, a.code FROM assets a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND a.kind <> 'pipeline' AND a.archived_at IS NULL ORDER BY a.code LIMIT 1`,
      [hyderabad.slug],
    );
    if (!pump) throw new Error('no seeded point asset');
    const page = await signIn(suite.browser, suite.server.url, demoEmail('maintenance', hyderabad));
    await openMap(page, suite.server.url);
    const detail = await openAsset(page, pump);
    const history = detail.getByTestId('asset-history');
    const form = history.getByRole('form', { name: 'Log work' });
    await form.getByLabel('Work done').fill('Replaced the e2e gasket');
    await form.getByLabel('Parts used').fill('1 gasket');
    await form.getByRole('button', { name: 'Log work' }).click();
    await history
      .getByRole('list', { name: 'Timeline' })
      .locator('[data-kind="maintenance"]')
      .filter({ hasText: 'Replaced the e2e gasket' })
      .waitFor();
    await screenshot(page, 'asset-timeline');
    await page.close();
  });
});
