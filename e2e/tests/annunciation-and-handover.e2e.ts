import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { adminRows } from '../src/api.ts';
import { screenshot } from '../src/browser.ts';
import { DEMO_PASSWORD } from '../src/console.ts';
import { consoleSuite } from '../src/console-suite.ts';
import { recordedTones, recordWebAudio } from '../src/fake-audio.ts';
import { pdfText } from '../src/pdf-text.ts';

const [, pune] = demoTenants;
const suite = consoleSuite();

/** Signs in like `signIn`, with Web Audio recorded from the first page load on. */
async function signInRecordingAudio(email: string, viewport = { width: 1600, height: 900 }): Promise<Page> {
  const context = await suite.browser.newContext({ viewport });
  await recordWebAudio(context);
  const page = await context.newPage();
  await page.goto(suite.server.url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('grid', { name: 'Alerts' }).waitFor({ timeout: 30_000 });
  return page;
}

/** Whether every item of a bar (the header, the filter bar) sits on one line and nothing is cut off at its end. */
function onOneLine(
  page: Page,
  selector: string,
): Promise<{ lines: number; clipped: boolean; height: number }> {
  return page.evaluate((selector) => {
    const header = document.querySelector(selector);
    if (!header) return { lines: 0, clipped: true, height: 0 };
    const tops = new Set(
      [...header.children]
        .filter((child) => (child as HTMLElement).offsetParent !== null)
        .map((child) =>
          Math.round(child.getBoundingClientRect().top + child.getBoundingClientRect().height / 2),
        ),
    );
    const middles = [...tops];
    const spread = Math.max(...middles) - Math.min(...middles);
    return {
      lines: spread > 12 ? 2 : 1,
      clipped: header.scrollWidth > header.clientWidth + 1,
      height: header.getBoundingClientRect().height,
    };
  }, selector);
}

describe('annunciation, the header and the handover', () => {
  it('lets a supervisor set up on-call duty and an escalation policy from the keyboard', async () => {
    const page = await signInRecordingAudio(demoEmail('supervisor', pune));
    await page.goto(`${suite.server.url}/?view=admin`);
    await page.getByRole('tab', { name: 'Escalation and alarms' }).click();
    const schedule = page.getByRole('form', { name: 'New on-call schedule' });
    await schedule.getByLabel('Schedule name').fill('E2E control room');
    await schedule.getByLabel('Time zone').fill('Asia/Kolkata');
    await schedule.getByLabel('Shift of').selectOption({ label: 'Olivia Operator' });
    await schedule.getByLabel('From', { exact: true }).fill('00:00');
    await schedule.getByLabel('To (at or before From: next day)').fill('00:00');
    await schedule.getByRole('button', { name: /Add shift/ }).focus();
    await page.keyboard.press('Enter');
    await schedule.getByRole('button', { name: 'Create schedule' }).focus();
    await page.keyboard.press('Enter');
    const row = page
      .getByRole('region', { name: 'On-call schedules' })
      .getByRole('row', { name: /E2E control room/ });
    await expect.poll(() => row.innerText(), { timeout: 10_000 }).toContain('Olivia Operator');

    const policy = page.getByRole('form', { name: 'New escalation policy' });
    await policy.getByLabel('Policy name').fill('E2E critical to the control room');
    await policy.getByLabel('For alerts at least').selectOption('critical');
    await policy.getByLabel('Step: text').selectOption({ label: 'whoever is on call: E2E control room' });
    await policy.getByLabel('then wait minutes').fill('5');
    await policy.getByRole('button', { name: /Add step/ }).click();
    await policy.getByRole('button', { name: 'Create policy' }).click();
    await page
      .getByRole('region', { name: 'Escalation policies' })
      .getByRole('row', { name: /E2E critical to the control room/ })
      .waitFor({ timeout: 10_000 });
    await screenshot(page, 'escalation-admin');
    // The rest of the run raises critical alerts in this tenant: the policy must not text anyone for them.
    await adminRows(
      `UPDATE escalation_policies SET enabled = false WHERE name = 'E2E critical to the control room'`,
    );
    await page.context().close();
  });

  it('repeats the alarm tone for unacknowledged critical alerts until the operator silences it', async () => {
    const [waiting] = await adminRows<{ n: number }>(
      `SELECT count(*)::int AS n FROM alerts a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = $1 AND a.closed_at IS NULL AND a.priority IN ('critical', 'high')
          AND a.state IN ('active_unacknowledged', 'returned_unacknowledged')`,
      [pune.slug],
    );
    expect(waiting?.n).toBeGreaterThan(0);
    const page = await signInRecordingAudio(demoEmail('operator', pune));
    const silence = page.getByRole('button', { name: /Silence/ });
    await expect.poll(async () => (await recordedTones(page)).length, { timeout: 10_000 }).toBeGreaterThan(0);
    const first = (await recordedTones(page)).length;
    // It repeats: critical every 4 s (two 880 Hz square beeps), high every 8 s.
    await expect
      .poll(async () => (await recordedTones(page)).length, { timeout: 12_000 })
      .toBeGreaterThan(first);
    const tones = await recordedTones(page);
    expect(tones.some((tone) => tone.hz === 880 && tone.type === 'square')).toBe(true);
    await expect(silence.isEnabled()).resolves.toBe(true);
    await screenshot(page, 'annunciator-sounding');

    await silence.click();
    const atSilence = (await recordedTones(page)).length;
    await page.waitForTimeout(9000);
    expect((await recordedTones(page)).length).toBe(atSilence);
    await expect(silence.isDisabled()).resolves.toBe(true);
    await screenshot(page, 'annunciator-silenced');
    await page.context().close();
  });

  it('sounds in one window of the browser, and silencing in another window silences it', async () => {
    const main = await signInRecordingAudio(demoEmail('operator2', pune));
    // A second window of the same browser: the session is shared, the sound is not doubled.
    const second = await main.context().newPage();
    await second.goto(suite.server.url);
    await second.getByRole('grid', { name: 'Alerts' }).waitFor({ timeout: 30_000 });
    await main.waitForTimeout(9000);
    const [first, other] = [(await recordedTones(main)).length, (await recordedTones(second)).length];
    expect(first > 0 !== other > 0, `tones: main ${String(first)}, second ${String(other)}`).toBe(true);
    const sounding = first > 0 ? main : second;
    const quiet = first > 0 ? second : main;

    await quiet.getByRole('button', { name: /Silence/ }).click();
    await expect(sounding.getByRole('button', { name: /Silence/ }).isDisabled()).resolves.toBe(true);
    const atSilence = (await recordedTones(sounding)).length;
    await sounding.waitForTimeout(9000);
    expect((await recordedTones(sounding)).length).toBe(atSilence);
    await main.context().close();
  });

  it('fits the header and the filter bar on one line at 1366x768, 1600x900 and 1920x1080', async () => {
    const page = await signInRecordingAudio(demoEmail('supervisor', pune));
    for (const viewport of [
      { width: 1366, height: 768 },
      { width: 1600, height: 900 },
      { width: 1920, height: 1080 },
    ]) {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(200);
      const size = `${String(viewport.width)}x${String(viewport.height)}`;
      const fit = await onOneLine(page, 'header.header');
      await screenshot(page, `header-${size}`);
      expect(fit, size).toMatchObject({ lines: 1, clipped: false });
      expect(fit.height).toBeLessThan(60);
      expect(await onOneLine(page, '.filter-bar'), `filter bar ${size}`).toMatchObject({
        lines: 1,
        clipped: false,
      });
    }
    await page.context().close();
  });

  it('produces the handover PDF in the console, its text matching the database', async () => {
    const page = await signInRecordingAudio(demoEmail('operator', pune));
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Handover' }).click();
    await page.getByRole('region', { name: 'Shelved alarms' }).waitFor({ timeout: 10_000 });
    const notes = 'Pump station 3 bearing noisy, maintenance booked for 10:00';
    await page.getByLabel('Notes for the incoming shift').fill(notes);
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download handover PDF' }).click();
    const download = await downloading;
    const dir = await mkdtemp(path.join(tmpdir(), 'e2e-handover-'));
    try {
      const file = path.join(dir, download.suggestedFilename());
      await download.saveAs(file);
      const text = await pdfText(file);
      const [tenant] = await adminRows<{ id: string; name: string }>(
        'SELECT id, name FROM tenants WHERE slug = $1',
        [pune.slug],
      );
      expect(text).toContain(`Shift handover: ${tenant?.name ?? ''}`);
      expect(text).toContain(notes);
      const shelved = await adminRows<{ reason: string; who: string }>(
        `SELECT a.shelve_reason AS reason, u.display_name AS who FROM alerts a JOIN users u ON u.id = a.shelved_by
          WHERE a.tenant_id = $1 AND a.closed_at IS NULL AND a.state = 'shelved'`,
        [tenant?.id],
      );
      expect(text).toContain(`Shelved alarms (${String(shelved.length)})`);
      for (const line of shelved) expect(text).toContain(`Shelved by ${line.who}`);
      for (const line of shelved) expect(text).toContain(line.reason);
      const incidents = await adminRows<{ number: number }>(
        `SELECT number FROM incidents WHERE tenant_id = $1 AND status <> 'closed'`,
        [tenant?.id],
      );
      expect(text).toContain(`Open incidents (${String(incidents.length)})`);
      for (const incident of incidents) expect(text).toContain(`INC-${String(incident.number)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await screenshot(page, 'handover-view');

    // The outgoing operator hands over; the incoming one takes over, once, and it is audited.
    await page.getByRole('button', { name: 'Hand over', exact: true }).click();
    const kept = page.getByRole('region', { name: 'Kept reports' });
    await kept
      .getByRole('row', { name: /Shift handover/ })
      .first()
      .waitFor({ timeout: 10_000 });
    const [made] = await adminRows<{ id: string }>(
      `SELECT r.id::text FROM reports r JOIN users u ON u.id = r.created_by
        WHERE u.email = $1 AND r.kind = 'handover' ORDER BY r.created_at DESC LIMIT 1`,
      [demoEmail('operator', pune)],
    );
    await page.context().close();
    const incoming = await signInRecordingAudio(demoEmail('operator2', pune));
    await incoming
      .getByRole('navigation', { name: 'Screens' })
      .getByRole('button', { name: 'Handover' })
      .click();
    const row = incoming.locator(`[data-report-id="${made?.id ?? ''}"]`);
    await row.getByRole('button', { name: 'Take over' }).click();
    await expect.poll(() => row.innerText(), { timeout: 10_000 }).toContain('Olivia');
    const audited = await adminRows<{ action: string }>(
      'SELECT action FROM audit_log WHERE resource_id = $1 ORDER BY id',
      [made?.id],
    );
    expect(audited.map((a) => a.action)).toEqual(['report.handover_create', 'report.handover_acknowledge']);
    await screenshot(incoming, 'handover-taken-over');
    await incoming.context().close();
  });
});
