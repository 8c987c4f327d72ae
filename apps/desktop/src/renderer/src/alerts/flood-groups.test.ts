import { describe, expect, it } from 'vitest';
import { makeAlert } from '../test-support/make-alert.ts';
import { toRows } from './alert-rows.ts';
import { floodGroups } from './flood-groups.ts';

const tank = 'a0000000-0000-4000-8000-000000000001';
const logger = 'a0000000-0000-4000-8000-000000000002';
const pump = 'a0000000-0000-4000-8000-000000000003';
const kondapur = 'b0000000-0000-4000-8000-000000000001';
const madhapur = 'b0000000-0000-4000-8000-000000000002';
const assets = new Map([
  [tank, { code: 'HYD-TNK-006', name: 'OHT Kondapur 2' }],
  [logger, { code: 'HYD-PRS-004', name: 'Pressure Logger Kondapur 1' }],
  [pump, { code: 'HYD-PMP-001', name: 'Pump Station Madhapur 1' }],
]);
const zones = new Map([
  [kondapur, 'Kondapur'],
  [madhapur, 'Madhapur'],
]);
const at = (minute: number) => new Date(Date.parse('2026-12-07T10:00:00Z') + minute * 60_000).toISOString();

describe('flood groups', () => {
  it('groups the flood by zone, then asset, marks the first raised, and leaves out what came before or closed', () => {
    const rows = toRows(
      [
        makeAlert({ assetId: logger, zoneId: kondapur, raisedAt: at(3), ruleName: 'Network pressure low' }),
        makeAlert({ assetId: tank, zoneId: kondapur, raisedAt: at(1), ruleName: 'Tank level low' }),
        makeAlert({
          assetId: logger,
          zoneId: kondapur,
          raisedAt: at(2),
          ruleName: 'Network pressure low-low',
        }),
        makeAlert({ assetId: pump, zoneId: madhapur, raisedAt: at(4) }),
        makeAlert({ assetId: pump, zoneId: madhapur, raisedAt: at(-30) }),
        makeAlert({ assetId: tank, zoneId: kondapur, raisedAt: at(5), closedAt: at(6) }),
      ],
      assets,
      zones,
    );
    const groups = floodGroups(rows, Date.parse(at(0)));
    expect(groups.map((g) => [g.zoneName, g.count])).toEqual([
      ['Kondapur', 3],
      ['Madhapur', 1],
    ]);
    expect(groups[0]?.first.alert.ruleName).toBe('Tank level low');
    expect(groups[0]?.assets.map((a) => [a.label, a.rows.length])).toEqual([
      ['HYD-TNK-006 OHT Kondapur 2', 1],
      ['HYD-PRS-004 Pressure Logger Kondapur 1', 2],
    ]);
  });
});
