import { describe, expect, it } from 'vitest';
import { makeAlert } from '../test-support/make-alert.ts';
import { AlertLedger, mergeAlerts } from './alert-ledger.ts';

describe('alert ledger', () => {
  it('applies a change only when its sequence is above the one held for that alert', () => {
    const ledger = new AlertLedger();
    expect(ledger.lastSequence).toBeUndefined();
    ledger.advanceTo(10);
    expect(ledger.accept('a', 12)).toBe(true);
    expect(ledger.accept('a', 11)).toBe(false);
    expect(ledger.accept('a', 12)).toBe(false);
    expect(ledger.accept('b', 11)).toBe(true);
    expect(ledger.accept('a', 13)).toBe(true);
    expect(ledger.lastSequence).toBe(13);
  });

  it('keeps the highest sequence seen, and starts over when the server stands below it', () => {
    const ledger = new AlertLedger();
    ledger.advanceTo(40);
    ledger.accept('a', 41);
    ledger.advanceTo(30);
    expect(ledger.lastSequence).toBe(41);
    ledger.restart(5);
    expect(ledger.lastSequence).toBe(5);
    expect(ledger.accept('a', 6)).toBe(true);
  });
});

describe('merging alert changes into the open list', () => {
  it('replaces changed alerts in place, adds new open ones and drops closed ones', () => {
    const kept = makeAlert();
    const changed = makeAlert();
    const closing = makeAlert();
    const raised = makeAlert({ priority: 'critical' });
    const acknowledged = { ...changed, state: 'active_acknowledged' as const };
    const next = mergeAlerts(
      [kept, changed, closing],
      new Map([
        [changed.id, acknowledged],
        [closing.id, { ...closing, state: 'normal' as const, closedAt: '2026-11-21T10:05:00.000Z' }],
        [raised.id, raised],
      ]),
    );
    expect(next).toEqual([kept, acknowledged, raised]);
    expect(next[0]).toBe(kept);
  });

  it('returns the same list when nothing changed, and ignores an alert that closed before it was seen', () => {
    const list = [makeAlert()];
    expect(mergeAlerts(list, new Map())).toBe(list);
    const gone = makeAlert({ closedAt: '2026-11-21T10:05:00.000Z' });
    expect(mergeAlerts(list, new Map([[gone.id, gone]]))).toEqual(list);
  });
});
