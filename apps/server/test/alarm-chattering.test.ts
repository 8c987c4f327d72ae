import type { AlarmSettings } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTestKit } from './alert-fixtures.ts';
import { tenantA } from './harness.ts';

describe('chattering alarms', () => {
  let kit: AlertTestKit;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
  });
  afterAll(async () => {
    // The run's other tests expect the default policy.
    await kit.api.request('PATCH', '/api/v1/alarm-settings', {
      token: await kit.token('supervisor'),
      body: { chatterRaises: 3, chatterWindowS: 60, chatterShelveMinutes: null },
    });
    await kit.close();
  });

  /** Raises, clears and raises again: `raises` raises within a few hundred milliseconds. */
  async function chatter(raises: number) {
    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({
      condition: 'high',
      setpoint: 100,
      deadband: 10,
      seriesId: device.series.level_cm ?? null,
    });
    for (let raise = 0; raise < raises; raise += 1) {
      await kit.send(device, 'level_cm', [[0, 150]]);
      if (raise < raises - 1) await kit.send(device, 'level_cm', [[0, 50]]);
    }
    return rule;
  }

  it('flags the third raise within a minute, once, with a transition that says so', async () => {
    const twice = await kit.only(await chatter(2));
    expect(twice.chatteringSince).toBeNull();

    const rule = await chatter(4);
    const alert = await kit.only(rule);
    expect(alert.state).toBe('active_unacknowledged');
    expect(alert.chatteringSince).not.toBeNull();
    const transitions = await kit.transitions(alert.id);
    expect(transitions.filter((t) => t.comment?.startsWith('Chattering'))).toEqual([
      {
        from: 'active_unacknowledged',
        to: 'active_unacknowledged',
        comment: 'Chattering: 3 raises within 60 s',
      },
    ]);
    const flagged = kit.events.filter((e) => e.alert.id === alert.id && e.alert.chatteringSince !== null);
    expect(flagged.length).toBeGreaterThan(0);
  });

  it('shelves chattering alarms for the time the policy sets, with the reason recorded', async () => {
    const viewer = await kit.api.request('PATCH', '/api/v1/alarm-settings', {
      token: await kit.token('viewer'),
      body: { chatterShelveMinutes: 30 },
    });
    expect(viewer.status).toBe(403);
    const bad = await kit.api.request('PATCH', '/api/v1/alarm-settings', {
      token: await kit.token('supervisor'),
      body: { chatterRaises: 1 },
    });
    expect(bad.status).toBe(400);
    const set = await kit.api.request<AlarmSettings>('PATCH', '/api/v1/alarm-settings', {
      token: await kit.token('supervisor'),
      body: { chatterShelveMinutes: 30 },
    });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ chatterRaises: 3, chatterWindowS: 60, chatterShelveMinutes: 30 });

    const alert = await kit.only(await chatter(3));
    expect(alert.state).toBe('shelved');
    expect(alert.chatteringSince).not.toBeNull();
    expect(alert.shelveReason).toBe('Shelved automatically for 30 min: chattering (3 raises within 60 s)');
    const minutes = (Date.parse(alert.shelvedUntil ?? '') - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(29);
    expect(minutes).toBeLessThanOrEqual(30);
  });
});
