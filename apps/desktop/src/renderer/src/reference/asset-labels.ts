import { MAX_ASSET_IDS, type AssetCollection } from '@tidewatch/shared';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { apiRequest } from '../api/api-client.ts';
import type { AssetLabel } from '../alerts/alert-rows.ts';
import { useSessionStore } from '../session/session-store.ts';

/** A label is asked for again after this long: a renamed asset shows its new name within minutes. */
const LABEL_STALE_MS = 5 * 60_000;
/** After a failed request its ids wait this long, so a server in trouble is not asked on every alert change. */
const RETRY_AFTER_MS = 30_000;

interface KnownLabel {
  /** Null: the asset is archived, out of the operator's zones, or its request failed. */
  readonly label: AssetLabel | null;
  readonly fetchedAt: number;
}

/**
 * The labels of one tenant's assets that the page has asked for, shared by every view. A network has up to a
 * million assets: the console asks only for those it names (what its alerts and rules point at), a hundred ids a
 * request, each id once at a time however often the alerts change meanwhile.
 */
class AssetLabelStore {
  private readonly known = new Map<string, KnownLabel>();
  private readonly pending = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private version = 0;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getVersion = (): number => this.version;

  label(id: string): AssetLabel | null {
    return this.known.get(id)?.label ?? null;
  }

  /** Fetches the ids that are neither known and fresh nor already being fetched. */
  request(ids: Iterable<string>): void {
    const now = Date.now();
    const missing: string[] = [];
    for (const id of ids) {
      if (this.pending.has(id)) continue;
      const entry = this.known.get(id);
      if (entry && now - entry.fetchedAt <= LABEL_STALE_MS) continue;
      this.pending.add(id);
      missing.push(id);
    }
    for (let start = 0; start < missing.length; start += MAX_ASSET_IDS) {
      void this.fetchChunk(missing.slice(start, start + MAX_ASSET_IDS));
    }
  }

  private async fetchChunk(ids: readonly string[]): Promise<void> {
    try {
      const page = await apiRequest<AssetCollection>('/assets', {
        query: { ids: ids.join(','), limit: MAX_ASSET_IDS },
      });
      const fetchedAt = Date.now();
      // An id the answer leaves out is archived or out of the operator's zones: it is not asked for again soon.
      for (const id of ids) this.known.set(id, { label: null, fetchedAt });
      for (const feature of page.features) {
        this.known.set(feature.id, {
          label: { code: feature.properties.code, name: feature.properties.name },
          fetchedAt,
        });
      }
    } catch (error) {
      console.warn('Asset names could not be fetched', error);
      const retryAt = Date.now() - LABEL_STALE_MS + RETRY_AFTER_MS;
      for (const id of ids) this.known.set(id, { label: this.label(id), fetchedAt: retryAt });
    } finally {
      for (const id of ids) this.pending.delete(id);
      this.version += 1;
      for (const listener of this.listeners) listener();
    }
  }

  /** One store per user and tenant: what one user may see is never shown to the next on the same page. */
  static of(userId: string, tenantId: string): AssetLabelStore {
    const key = `${userId}/${tenantId}`;
    let store = stores.get(key);
    if (!store) {
      store = new AssetLabelStore();
      stores.set(key, store);
    }
    return store;
  }
}

const stores = new Map<string, AssetLabelStore>();
useSessionStore.subscribe((state) => {
  if (state.session === null) stores.clear();
});
const noStore = {
  subscribe: () => () => undefined,
  getVersion: () => 0,
};

/**
 * The code and name of each asset in `ids` (an asset the operator may not see, or not fetched yet, is absent).
 * Pass a memoised list: it is looked through whenever it changes, and only unknown or stale labels are fetched.
 * The map keeps its identity while no name in it changes, so alert rows are rebuilt only for a new name.
 */
export function useAssetLabels(
  tenantId: string | null,
  ids: readonly (string | null | undefined)[],
): ReadonlyMap<string, AssetLabel> {
  const userId = useSessionStore((state) => state.session?.user.id ?? null);
  const store = tenantId === null || userId === null ? null : AssetLabelStore.of(userId, tenantId);
  const version = useSyncExternalStore(
    store?.subscribe ?? noStore.subscribe,
    store?.getVersion ?? noStore.getVersion,
  );
  const [refreshes, setRefreshes] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => {
      setRefreshes((count) => count + 1);
    }, LABEL_STALE_MS);
    return () => {
      window.clearInterval(timer);
    };
  }, []);

  const wanted = useMemo(() => {
    const set = new Set<string>();
    for (const id of ids) if (id) set.add(id);
    return set;
  }, [ids]);

  useEffect(() => {
    store?.request(wanted);
  }, [store, wanted, refreshes]);

  const previous = useRef<ReadonlyMap<string, AssetLabel>>(new Map());
  return useMemo(() => {
    const next = new Map<string, AssetLabel>();
    if (store) {
      for (const id of wanted) {
        const label = store.label(id);
        if (label) next.set(id, label);
      }
    }
    if (sameLabels(previous.current, next)) return previous.current;
    previous.current = next;
    return next;
    // `version` moves when labels arrive.
  }, [store, wanted, version]);
}

function sameLabels(a: ReadonlyMap<string, AssetLabel>, b: ReadonlyMap<string, AssetLabel>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, label] of a) {
    const other = b.get(id);
    if (other?.code !== label.code || other.name !== label.name) return false;
  }
  return true;
}
