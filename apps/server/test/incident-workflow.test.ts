import { incidentDetailSchema, type IncidentDetail, type Incident, type Problem } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvents } from '../src/events/event-bus.ts';
import { AlertTestKit } from './alert-fixtures.ts';
import { tenantA, tenantB } from './harness.ts';

describe('incidents from alerts', () => {
  let kit: AlertTestKit;
  const changes: DomainEvents['incident.changed'][] = [];

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA);
    kit.server.bus.on('incident.changed', (event) => changes.push(event));
  });
  afterAll(async () => {
    await kit.close();
  });

  it('opens from alerts, is assigned, takes notes, and closes with a maintenance log; each step is published', async () => {
    const device = await kit.device(['level_cm']);
    const seriesId = device.series.level_cm ?? 0;
    const first = await kit.rule({ condition: 'high', seriesId, setpoint: 10 });
    const second = await kit.rule({ condition: 'high_high', seriesId, setpoint: 20, priority: 'critical' });
    await kit.send(device, 'level_cm', [[1, 30]]);
    const alerts = [await kit.only(first), await kit.only(second)];
    const operator = await kit.token('operator');
    const supervisor = await kit.token('supervisor');
    const [assignee] = (
      await kit.api.request<{ items: { id: string; role: string }[] }>('GET', '/api/v1/users?limit=100', {
        token: await kit.token('admin'),
      })
    ).body.items.filter((u) => u.role === 'maintenance');

    const opened = await kit.api.request<Incident>('POST', '/api/v1/incidents', {
      token: operator,
      body: { title: 'Overflow at test tank', priority: 'critical', alertIds: alerts.map((a) => a.id) },
    });
    const id = opened.body.id;
    const operatorAssigns = await kit.api.request<Problem>('PATCH', `/api/v1/incidents/${id}`, {
      token: operator,
      body: { assigneeId: assignee?.id },
    });
    const assigned = await kit.api.request<Incident>('PATCH', `/api/v1/incidents/${id}`, {
      token: supervisor,
      body: { assigneeId: assignee?.id, status: 'in_progress' },
    });
    const noted = await kit.api.request('POST', `/api/v1/incidents/${id}/notes`, {
      token: await kit.token('maintenance'),
      body: { body: 'Inlet valve stuck open; crew on site.' },
    });
    const operatorCloses = await kit.api.request<Problem>('POST', `/api/v1/incidents/${id}/close`, {
      token: operator,
      body: {
        maintenanceLog: {
          workDone: 'x',
          startedAt: new Date(Date.now() - 3_600_000).toISOString(),
          finishedAt: new Date().toISOString(),
        },
      },
    });
    const closed = await kit.api.request<Incident>('POST', `/api/v1/incidents/${id}/close`, {
      token: supervisor,
      body: {
        maintenanceLog: {
          workDone: 'Replaced the inlet float valve.',
          partsUsed: 'Float valve DN50',
          startedAt: new Date(Date.now() - 3_600_000).toISOString(),
          finishedAt: new Date().toISOString(),
        },
      },
    });
    const detail = await kit.api.request<IncidentDetail>('GET', `/api/v1/incidents/${id}`, {
      token: operator,
    });

    expect(opened.status).toBe(201);
    expect(opened.body.alertIds.sort()).toEqual(alerts.map((a) => a.id).sort());
    expect(operatorAssigns.status).toBe(403);
    expect(assigned.body).toMatchObject({ assigneeId: assignee?.id, status: 'in_progress' });
    expect(noted.status).toBe(201);
    expect(operatorCloses.status).toBe(403);
    expect(closed.body.status).toBe('closed');
    expect(incidentDetailSchema.parse(detail.body)).toEqual(detail.body);
    expect(detail.body.alerts.map((a) => a.id).sort()).toEqual(alerts.map((a) => a.id).sort());
    expect(detail.body.notes.map((n) => n.body)).toEqual(['Inlet valve stuck open; crew on site.']);
    expect(detail.body.maintenanceLogs[0]?.workDone).toBe('Replaced the inlet float valve.');
    expect(changes.filter((c) => c.incident.id === id).map((c) => c.incident.status)).toEqual([
      'open',
      'in_progress',
      'in_progress',
      'closed',
    ]);
  });

  it('cannot link another tenant’s alerts', async () => {
    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({ condition: 'high', seriesId: device.series.level_cm ?? 0, setpoint: 10 });
    await kit.send(device, 'level_cm', [[1, 30]]);
    const alert = await kit.only(rule);

    const other = await kit.api.request<Problem>('POST', '/api/v1/incidents', {
      token: await kit.api.tokenFor(tenantB.email('operator')),
      body: { title: 'Not ours', priority: 'low', alertIds: [alert.id] },
    });

    expect(other.status).toBe(400);
  });
});
