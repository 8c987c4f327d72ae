import { can, type Role } from '@tidewatch/shared';
import { useEffect } from 'react';
import { useAlertConsoleStore } from './alert-console-store.ts';
import { needsAcknowledgement, type AlertRow } from './alert-rows.ts';

const typingTarget = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/**
 * The alarm console's keys: j/k (or arrows) move, space selects, Enter opens the detail, a acknowledges the
 * selection (or the row under the cursor), s shelves and c comments on the row under the cursor, i opens an
 * incident from the selection (or the row), / searches, Esc clears. Keys typed into a field stay in the field;
 * a key for an action the role may not take does nothing.
 */
export function useAlertShortcuts(rows: readonly AlertRow[], role: Role): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const store = useAlertConsoleStore.getState();
      if (event.key === 'Escape') {
        store.escape();
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || typingTarget(event.target)) return;
      if (store.dialog.kind !== 'none') return;
      const ids = rows.map((row) => row.alert.id);
      const chosen =
        store.selectedIds.size > 0 ? [...store.selectedIds] : store.cursorId ? [store.cursorId] : [];
      const cursorRow = rows.find((row) => row.alert.id === store.cursorId);
      switch (event.key) {
        case 'j':
        case 'ArrowDown':
          store.moveCursor(1, ids);
          break;
        case 'k':
        case 'ArrowUp':
          store.moveCursor(-1, ids);
          break;
        case ' ':
          if (store.cursorId !== null) store.toggleSelected(store.cursorId);
          break;
        case 'Enter':
          store.openDetail(store.cursorId);
          break;
        case '/':
          store.requestSearchFocus();
          break;
        case 'a': {
          if (!can(role, 'alert:acknowledge')) return;
          const waiting = rows
            .filter((row) => chosen.includes(row.alert.id) && needsAcknowledgement(row.alert))
            .map((row) => row.alert.id);
          if (waiting.length > 0) store.openDialog({ kind: 'acknowledge', ids: waiting });
          break;
        }
        case 's':
          if (!can(role, 'alert:shelve') || !cursorRow || cursorRow.alert.state === 'shelved') return;
          store.openDialog({ kind: 'shelve', id: cursorRow.alert.id });
          break;
        case 'c':
          if (!can(role, 'alert:comment') || !cursorRow) return;
          store.openDialog({ kind: 'comment', id: cursorRow.alert.id });
          break;
        case 'i':
          if (!can(role, 'incident:create') || chosen.length === 0) return;
          store.openDialog({ kind: 'open-incident', ids: chosen });
          break;
        default:
          return;
      }
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
    };
  }, [rows, role]);
}
