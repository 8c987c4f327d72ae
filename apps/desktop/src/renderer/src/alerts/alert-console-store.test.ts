import { beforeEach, describe, expect, it } from 'vitest';
import { useAlertConsoleStore } from './alert-console-store.ts';
import { emptyFilter } from './alert-rows.ts';

const store = () => useAlertConsoleStore.getState();

describe('alert console state', () => {
  beforeEach(() => {
    useAlertConsoleStore.setState({
      filter: emptyFilter,
      cursorId: null,
      selectedIds: new Set(),
      detailId: null,
      dialog: { kind: 'none' },
    });
  });

  it('moves the cursor with j/k within the visible rows and stops at the ends', () => {
    const visible = ['a', 'b', 'c'];
    store().moveCursor(1, visible);
    expect(store().cursorId).toBe('a');
    store().moveCursor(1, visible);
    store().moveCursor(1, visible);
    store().moveCursor(1, visible);
    expect(store().cursorId).toBe('c');
    store().moveCursor(-1, visible);
    expect(store().cursorId).toBe('b');
    // The cursor's row filtered away: start again from the top.
    store().moveCursor(1, ['x', 'y']);
    expect(store().cursorId).toBe('x');
  });

  it('toggles selection with space', () => {
    store().toggleSelected('a');
    store().toggleSelected('b');
    store().toggleSelected('a');
    expect([...store().selectedIds]).toEqual(['b']);
  });

  it('Esc closes a dialog first, then clears selection and search, then closes the detail', () => {
    store().setFilter({ text: 'pump', priorities: ['critical'] });
    store().toggleSelected('a');
    store().openDetail('a');
    store().openDialog({ kind: 'acknowledge', ids: ['a'] });

    store().escape();
    expect(store().dialog).toEqual({ kind: 'none' });
    expect(store().selectedIds.size).toBe(1);

    store().escape();
    expect(store().selectedIds.size).toBe(0);
    expect(store().filter).toEqual({ ...emptyFilter, priorities: ['critical'] });
    expect(store().detailId).toBe('a');

    store().escape();
    expect(store().detailId).toBeNull();
  });

  it('sorts by a column, and a second click reverses it', () => {
    store().sortBy('zone');
    expect(store().sort).toEqual({ key: 'zone', descending: false });
    store().sortBy('zone');
    expect(store().sort).toEqual({ key: 'zone', descending: true });
    store().sortBy('raisedAt');
    expect(store().sort).toEqual({ key: 'raisedAt', descending: true });
  });
});
