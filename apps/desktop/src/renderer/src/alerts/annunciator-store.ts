import { create } from 'zustand';

/**
 * Which alerts the operator silenced. Silencing stops the sound for the alerts sounding now; an alert raised after
 * it sounds again. Shared by every console window of this browser (pop-outs, other tabs) over a BroadcastChannel,
 * so silencing in one silences all.
 */
interface AnnunciatorState {
  readonly silenced: ReadonlySet<string>;
  readonly silence: (ids: readonly string[]) => void;
}

const channel =
  typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('tidewatch-annunciator');

function withIds(current: ReadonlySet<string>, ids: readonly string[]): ReadonlySet<string> {
  const next = new Set(current);
  for (const id of ids) next.add(id);
  return next;
}

export const useAnnunciatorStore = create<AnnunciatorState>((set) => ({
  silenced: new Set(),
  silence: (ids) => {
    if (ids.length === 0) return;
    set((state) => ({ silenced: withIds(state.silenced, ids) }));
    channel?.postMessage({ type: 'silence', ids });
  },
}));

channel?.addEventListener('message', (event: MessageEvent<unknown>) => {
  const data = event.data as { type?: unknown; ids?: unknown };
  if (data.type !== 'silence' || !Array.isArray(data.ids)) return;
  const ids = data.ids.filter((id): id is string => typeof id === 'string');
  useAnnunciatorStore.setState((state) => ({ silenced: withIds(state.silenced, ids) }));
});
