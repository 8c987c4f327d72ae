import { alertPriorities } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import {
  emptyFilter,
  matchesFilter,
  priorityCounts,
  rowBuilder,
  sortRows,
  toRows,
  type AlertRow,
} from './alert-rows.ts';
import { makeAlert } from '../test-support/make-alert.ts';

const assets = new Map([
  ['a0000000-0000-4000-8000-000000000001', { code: 'HYD-TNK-006', name: 'OHT Nanakramguda 2' }],
  ['a0000000-0000-4000-8000-000000000002', { code: 'HYD-PMP-001', name: 'Gachibowli booster' }],
]);
const zones = new Map([
  ['b0000000-0000-4000-8000-000000000001', 'Nanakramguda'],
  ['b0000000-0000-4000-8000-000000000002', 'Gachibowli'],
]);
const ids = (rows: readonly AlertRow[]) => rows.map((row) => row.alert.id);

describe('alert rows', () => {
  it('names the asset and zone of each alert', () => {
    const [row] = toRows([makeAlert()], assets, zones);
    expect(row?.assetLabel).toBe('HYD-TNK-006 OHT Nanakramguda 2');
    expect(row?.zoneName).toBe('Nanakramguda');
    const [unknown] = toRows([makeAlert({ assetId: null, zoneId: null })], assets, zones);
    expect(unknown?.assetLabel).toBeNull();
  });

  it('rebuilds only the rows of alerts that were replaced', () => {
    const build = rowBuilder(assets, zones);
    const unchanged = makeAlert();
    const before = makeAlert();
    const [first] = build([unchanged, before]);
    const after = { ...before, state: 'active_acknowledged' as const };
    const rows = build([unchanged, after]);
    expect(rows[0]).toBe(first);
    expect(rows[1]?.alert).toBe(after);
  });

  it('filters by priority, state, zone, asset and every word of the text', () => {
    const critical = makeAlert({
      priority: 'critical',
      ruleName: 'Trunk main burst',
      message: 'Pressure fell',
    });
    const acknowledged = makeAlert({ state: 'active_acknowledged' });
    const elsewhere = makeAlert({
      zoneId: 'b0000000-0000-4000-8000-000000000002',
      assetId: 'a0000000-0000-4000-8000-000000000002',
    });
    const shelved = makeAlert({ state: 'shelved' });
    const rows = toRows([critical, acknowledged, elsewhere, shelved], assets, zones);
    const pick = (filter: Partial<typeof emptyFilter>) =>
      ids(rows.filter((row) => matchesFilter(row, { ...emptyFilter, ...filter })));

    expect(pick({})).toEqual([critical.id, acknowledged.id, elsewhere.id]);
    expect(pick({ states: ['shelved'] })).toEqual([shelved.id]);
    expect(pick({ priorities: ['critical'] })).toEqual([critical.id]);
    expect(pick({ states: ['active_acknowledged'] })).toEqual([acknowledged.id]);
    expect(pick({ zoneId: 'b0000000-0000-4000-8000-000000000002' })).toEqual([elsewhere.id]);
    expect(pick({ assetId: 'a0000000-0000-4000-8000-000000000002' })).toEqual([elsewhere.id]);
    expect(pick({ text: 'gachibowli BOOSTER' })).toEqual([elsewhere.id]);
    expect(pick({ text: 'burst  pressure' })).toEqual([critical.id]);
    expect(pick({ text: 'burst nanakramguda gachibowli' })).toEqual([]);
  });

  it('sorts the most urgent first, unacknowledged before acknowledged, then newest, and keeps ties stable', () => {
    const low = makeAlert({ priority: 'low', raisedAt: '2026-11-21T12:00:00.000Z' });
    const highAcked = makeAlert({ state: 'active_acknowledged', raisedAt: '2026-11-21T12:00:00.000Z' });
    const highOld = makeAlert({ raisedAt: '2026-11-21T08:00:00.000Z' });
    const highNew = makeAlert({ raisedAt: '2026-11-21T11:00:00.000Z' });
    const highReturned = makeAlert({ state: 'returned_unacknowledged' });
    const critical = makeAlert({ priority: 'critical', state: 'active_acknowledged' });
    const rows = toRows([low, highAcked, highOld, highNew, highReturned, critical], assets, zones);

    expect(ids(sortRows(rows, { key: 'priority', descending: false }))).toEqual([
      critical.id,
      highNew.id,
      highOld.id,
      highReturned.id,
      highAcked.id,
      low.id,
    ]);
    // Equal times fall back to the id, so the order never depends on the order the server sent.
    expect(ids(sortRows(rows, { key: 'raisedAt', descending: true })).slice(0, 2)).toEqual([
      low.id,
      highAcked.id,
    ]);
    const twice = sortRows(sortRows(rows, { key: 'zone', descending: false }), {
      key: 'zone',
      descending: false,
    });
    expect(ids(twice)).toEqual(ids(sortRows([...rows].reverse(), { key: 'zone', descending: false })));
  });

  it('counts standing alerts by priority, and among them the unacknowledged', () => {
    const counts = priorityCounts([
      makeAlert({ priority: 'critical' }),
      makeAlert({ priority: 'critical', state: 'active_acknowledged' }),
      makeAlert({ priority: 'critical', state: 'shelved' }),
      makeAlert({ priority: 'low', state: 'returned_unacknowledged' }),
    ]);
    expect(counts.critical).toEqual({ standing: 2, unacknowledged: 1 });
    expect(counts.low).toEqual({ standing: 1, unacknowledged: 1 });
    expect(counts.high).toEqual({ standing: 0, unacknowledged: 0 });
  });

  // How fast this runs is the console-frames benchmark's business, not a unit test's.
  it('filters and sorts ten thousand alerts, most urgent first', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      makeAlert({
        priority: alertPriorities[i % 4] ?? 'low',
        raisedAt: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
      }),
    );
    const rows = toRows(many, assets, zones);
    const sorted = sortRows(
      rows.filter((row) => matchesFilter(row, { ...emptyFilter, text: 'tank' })),
      { key: 'priority', descending: false },
    );
    expect(sorted).toHaveLength(10_000);
    expect(sorted[0]?.alert.priority).toBe('critical');
  });
});
