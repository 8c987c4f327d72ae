import { create } from 'zustand';
import { defaultSort, emptyFilter, type AlertFilter, type AlertSort, type SortKey } from './alert-rows.ts';

/** What the console is doing besides showing the table. */
export type ConsoleDialog =
  | { readonly kind: 'none' }
  | { readonly kind: 'acknowledge'; readonly ids: readonly string[] }
  | { readonly kind: 'shelve'; readonly id: string }
  | { readonly kind: 'comment'; readonly id: string }
  | { readonly kind: 'out-of-service'; readonly id: string }
  | { readonly kind: 'open-incident'; readonly ids: readonly string[] };

interface AlertConsoleState {
  readonly filter: AlertFilter;
  readonly sort: AlertSort;
  /** The row the keyboard is on. */
  readonly cursorId: string | null;
  readonly selectedIds: ReadonlySet<string>;
  readonly detailId: string | null;
  readonly dialog: ConsoleDialog;
  /** Bumped by "/" so the search box takes the focus. */
  readonly searchFocusRequest: number;

  setFilter: (change: Partial<AlertFilter>) => void;
  replaceFilter: (filter: AlertFilter) => void;
  sortBy: (key: SortKey) => void;
  setCursor: (id: string | null) => void;
  /** Moves the cursor by `step` rows within `visibleIds`, stopping at the ends. */
  moveCursor: (step: number, visibleIds: readonly string[]) => void;
  toggleSelected: (id: string) => void;
  clearSelection: () => void;
  openDetail: (id: string | null) => void;
  openDialog: (dialog: ConsoleDialog) => void;
  requestSearchFocus: () => void;
  /** Esc: close a dialog if one is open, else drop the selection and the search text. */
  escape: () => void;
}

export const useAlertConsoleStore = create<AlertConsoleState>()((set, get) => ({
  filter: emptyFilter,
  sort: defaultSort,
  cursorId: null,
  selectedIds: new Set(),
  detailId: null,
  dialog: { kind: 'none' },
  searchFocusRequest: 0,

  setFilter: (change) => {
    set((state) => ({ filter: { ...state.filter, ...change } }));
  },
  replaceFilter: (filter) => {
    set({ filter });
  },
  sortBy: (key) => {
    set((state) => ({
      sort:
        state.sort.key === key
          ? { key, descending: !state.sort.descending }
          : { key, descending: key === 'raisedAt' },
    }));
  },
  setCursor: (cursorId) => {
    set({ cursorId });
  },
  moveCursor: (step, visibleIds) => {
    if (visibleIds.length === 0) return;
    const { cursorId } = get();
    const index = cursorId === null ? -1 : visibleIds.indexOf(cursorId);
    const next = index === -1 ? (step > 0 ? 0 : visibleIds.length - 1) : index + step;
    const clamped = Math.min(visibleIds.length - 1, Math.max(0, next));
    set({ cursorId: visibleIds[clamped] ?? null });
  },
  toggleSelected: (id) => {
    set((state) => {
      const selectedIds = new Set(state.selectedIds);
      if (!selectedIds.delete(id)) selectedIds.add(id);
      return { selectedIds };
    });
  },
  clearSelection: () => {
    set({ selectedIds: new Set() });
  },
  openDetail: (detailId) => {
    set({ detailId });
  },
  openDialog: (dialog) => {
    set({ dialog });
  },
  requestSearchFocus: () => {
    set((state) => ({ searchFocusRequest: state.searchFocusRequest + 1 }));
  },
  escape: () => {
    const state = get();
    if (state.dialog.kind !== 'none') set({ dialog: { kind: 'none' } });
    else if (state.detailId !== null && state.selectedIds.size === 0 && state.filter.text === '')
      set({ detailId: null });
    else set({ selectedIds: new Set(), filter: { ...state.filter, text: '' } });
  },
}));
