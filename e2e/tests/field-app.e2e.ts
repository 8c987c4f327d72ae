import path from 'node:path';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { Alert, AreaSearchResult, AssetTimeline, Incident, Page as ApiPage } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { accessToken, adminRows } from '../src/api.ts';
import { screenshot } from '../src/browser.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { signIn } from '../src/console.ts';
import { fieldNav, openFieldTab, signInToFieldApp } from '../src/field.ts';

const [, pune] = demoTenants;
/** A real PNG to stand in for the camera's photo (the server judges the type from the bytes). */
const photo = path.resolve(import.meta.dirname, '../../apps/desktop/resources/icon.png');

async function api<T>(baseUrl: string, token: string, apiPath: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${baseUrl}/api/v1${apiPath}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
  if (!response.ok) throw new Error(`${apiPath}: ${String(response.status)} ${await response.text()}`);
  return (await response.json()) as T;
}

describe('the field app on a phone: alerts, offline notes with photos, work logs', () => {
  const suite = consoleSuite();

  it('acknowledges an alert, queues a note with a photo offline, and the console shows it once', async () => {
    const url = suite.server.url;
    const operator = await accessToken(url, demoEmail('operator', pune));
    const alerts = await api<ApiPage<Alert>>(
      url,
      operator,
      '/alerts?open=true&state=active_unacknowledged&limit=1',
    );
    const alert = alerts.items[0];
    if (!alert) throw new Error('the seed has no unacknowledged alert');
    const incident = await api<Incident>(url, operator, '/incidents', {
      method: 'POST',
      body: JSON.stringify({ title: 'Field crew check of a burst', priority: 'high', alertIds: [alert.id] }),
    });

    // The control room watches the incident on the console.
    const console = await signIn(suite.browser, url, demoEmail('supervisor', pune));
    await console
      .getByRole('navigation', { name: 'Screens' })
      .getByRole('button', { name: 'Incidents' })
      .click();
    await console.getByRole('list', { name: 'Incidents' }).getByText(incident.title).click();
    await console.getByRole('article', { name: `Incident ${String(incident.number)}` }).waitFor();
    const consoleNotes = console.getByRole('list', { name: 'Incident notes' });

    const phone = await signInToFieldApp(suite.browser, url, demoEmail('operator', pune));
    await phone.locator(`[data-alert-id="${alert.id}"]`).click();
    await phone.getByRole('button', { name: 'Acknowledge' }).click();
    await expect
      .poll(async () => (await api<Alert>(url, operator, `/alerts/${alert.id}`)).acknowledgedAt, {
        timeout: 15_000,
      })
      .not.toBeNull();
    await screenshot(phone, 'field-alert-acknowledged');

    await openFieldTab(phone, 'Incidents');
    await phone.getByRole('link', { name: new RegExp(incident.title) }).click();
    // The crew opened the incident while online; the connection drops once it is on screen (offline sooner, the
    // page's own request for it would fail instead).
    const noteBox = phone.getByRole('textbox', { name: 'Note', exact: true });
    await noteBox.waitFor();
    await phone.context().setOffline(true);
    await expect.poll(() => phone.getByTestId('connection').innerText()).toBe('Offline');
    const noteText = `Valve V-12 closed, burst isolated (${String(Date.now())})`;
    await noteBox.fill(noteText);
    await phone.getByLabel('Photos').setInputFiles(photo);
    await phone.getByText('1 photo(s) with this note').waitFor();
    await phone.getByRole('button', { name: 'Add note' }).click();
    await expect.poll(() => phone.getByTestId('queue-badge').innerText()).toBe('1');
    await screenshot(phone, 'field-note-queued-offline');
    const notesOf = () =>
      adminRows<{ id: string }>('SELECT id FROM incident_notes WHERE incident_id = $1 AND body = $2', [
        incident.id,
        noteText,
      ]);
    expect(await notesOf()).toHaveLength(0);

    // The first answer to the note is lost on the way back (the connection drops mid-sync): the server applied
    // it, the phone does not know, and sends the same queued action again.
    let noteSends = 0;
    await phone.route('**/api/v1/incidents/*/notes', async (route) => {
      noteSends += 1;
      if (noteSends === 1) {
        await route.fetch();
        await route.abort('connectionreset');
      } else {
        await route.continue();
      }
    });
    await phone.context().setOffline(false);
    await expect.poll(() => noteSends, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => phone.getByTestId('queue-badge').count(), { timeout: 30_000 }).toBe(0);

    const notes = await notesOf();
    expect(notes).toHaveLength(1);
    const photos = await adminRows<{ media_type: string }>(
      'SELECT media_type FROM attachments WHERE incident_note_id = $1',
      [notes[0]?.id],
    );
    expect(photos).toEqual([{ media_type: 'image/png' }]);
    await expect.poll(() => consoleNotes.getByText(noteText).count(), { timeout: 15_000 }).toBe(1);
    await phone.getByRole('list', { name: 'Incident notes' }).getByAltText('icon.png').waitFor();
    await screenshot(phone, 'field-note-synced');
    await screenshot(console, 'field-note-on-console');
    await phone.context().close();
    await console.context().close();
  });

  it('lets the maintenance crew find a nearby asset and log work that shows in its timeline', async () => {
    const url = suite.server.url;
    const maintenance = await accessToken(url, demoEmail('maintenance', pune));
    const [near] = await adminRows<{ lon: number; lat: number }>(
      `SELECT ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat FROM assets a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND GeometryType(a.geom) = 'POINT' AND a.archived_at IS NULL ORDER BY a.code LIMIT 1`,
      [pune.slug],
    );
    if (!near) throw new Error('the seed has no point asset');
    const phone = await signInToFieldApp(suite.browser, url, demoEmail('maintenance', pune), {
      geolocation: { longitude: near.lon, latitude: near.lat },
      permissions: ['geolocation'],
    });
    await openFieldTab(phone, 'Nearby');
    await phone.getByRole('button', { name: 'Find assets near me' }).click();
    const nearby = phone.getByRole('list', { name: 'Assets near me' }).getByRole('link');
    await nearby.first().click();
    await phone.getByRole('article', { name: 'Asset' }).waitFor();
    const assetId = decodeURIComponent(new URL(phone.url()).hash.split('/')[2] ?? '');
    const search = await api<AreaSearchResult>(url, maintenance, '/spatial/area-search', {
      method: 'POST',
      body: JSON.stringify({ center: [near.lon, near.lat], radiusM: 2000 }),
    });
    expect(search.items.map((item) => item.id)).toContain(assetId);
    expect(await phone.getByTestId('directions').getAttribute('href')).toMatch(/^geo:-?\d+(\.\d+)?,-?\d+/);

    const workDone = `Replaced the pressure transducer seal (${String(Date.now())})`;
    await phone.getByLabel('Work done').fill(workDone);
    await phone.getByLabel('Parts used').fill('1 × seal kit');
    await phone.getByRole('button', { name: 'Save work log' }).click();
    await expect
      .poll(
        async () =>
          (await api<AssetTimeline>(url, maintenance, `/assets/${assetId}/timeline`)).items.some(
            (entry) =>
              entry.kind === 'maintenance' && `${entry.title} ${entry.detail ?? ''}`.includes(workDone),
          ),
        { timeout: 15_000 },
      )
      .toBe(true);
    await screenshot(phone, 'field-work-logged');
    await phone.context().close();
  });

  it('is installable and opens with no connection once visited', async () => {
    const url = suite.server.url;
    const manifest = (await (await fetch(`${url}/field/manifest.webmanifest`)).json()) as {
      start_url: string;
      display: string;
      icons: { sizes: string }[];
    };
    expect(manifest).toMatchObject({ start_url: '/field/', display: 'standalone' });
    expect(manifest.icons.map((icon) => icon.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));

    const phone = await signInToFieldApp(suite.browser, url, demoEmail('operator', pune), {
      serviceWorkers: 'allow',
    });
    await phone.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await phone.reload();
    await expect.poll(() => phone.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await phone.context().setOffline(true);
    await phone.reload();
    await fieldNav(phone).waitFor();
    expect(await phone.getByTestId('connection').innerText()).toBe('Offline');
    await screenshot(phone, 'field-offline-shell');
    await phone.context().close();
  });
});
