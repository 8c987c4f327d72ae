import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTestKit, type TestDevice } from './alert-fixtures.ts';
import { tenantB } from './harness.ts';

/** Changes that meet on one record: each answers as if it ran alone, before or after the other, never 5xx. */
describe('concurrent changes to one alert rule', () => {
  let kit: AlertTestKit;
  let device: TestDevice;

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantB);
    device = await kit.device(['level_cm']);
  });
  afterAll(async () => {
    await kit.server.close();
  });

  it('answers changes racing a removal with 200 before it and 404 after it', async () => {
    const token = await kit.token('supervisor');
    const statuses: number[] = [];
    for (let round = 0; round < 10; round += 1) {
      const rule = await kit.rule({ condition: 'high', seriesId: device.series.level_cm ?? 0, setpoint: 10 });
      const patch = (body: Record<string, unknown>) =>
        kit.api.request('PATCH', `/api/v1/alert-rules/${rule.id}`, { token, body });
      const answers = await Promise.all([
        ...Array.from({ length: 5 }, (_v, i) => patch({ setpoint: 20 + i })),
        kit.api.request('DELETE', `/api/v1/alert-rules/${rule.id}`, { token }),
        kit.api.request('DELETE', `/api/v1/alert-rules/${rule.id}`, { token }),
        ...Array.from({ length: 5 }, (_v, i) => patch({ name: `Renamed ${String(i)}` })),
      ]);
      statuses.push(...answers.map((answer) => answer.status));
      const gone = await kit.api.request('GET', `/api/v1/alert-rules/${rule.id}`, { token });
      expect(gone.status).toBe(404);
    }
    expect(statuses.filter((status) => ![200, 204, 404].includes(status))).toEqual([]);
    // One removal per rule succeeded; the other found it gone.
    expect(statuses.filter((status) => status === 204)).toHaveLength(10);
  });
});
