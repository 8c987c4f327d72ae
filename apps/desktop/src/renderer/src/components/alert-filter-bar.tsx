import { alertPriorities, type AlertPriority, type AlertState } from '@tidewatch/shared';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useAlertConsoleStore } from '../alerts/alert-console-store.ts';
import { emptyFilter, openStatesByUrgency, type AlertFilter } from '../alerts/alert-rows.ts';
import {
  loadSavedFilters,
  storeSavedFilters,
  withSavedFilter,
  type SavedFilter,
} from '../alerts/saved-filters.ts';
import type { AssetLabel } from '../alerts/alert-rows.ts';
import { priorityStyle, stateLabels } from './priority-label.tsx';

/** Shelved, suppressed and out-of-service alerts too. */
const EVERY_OPEN_STATE = 'every-open';

const toggled = <T,>(list: readonly T[], item: T): T[] =>
  list.includes(item) ? list.filter((entry) => entry !== item) : [...list, item];

function useSavedFilters() {
  const [saved, setSaved] = useState<SavedFilter[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadSavedFilters()
      .then(setSaved)
      .catch(() => {
        setError('Saved filters could not be read');
      });
  }, []);
  const persist = (next: SavedFilter[]) => {
    setSaved(next);
    storeSavedFilters(next).catch(() => {
      setError('The filter could not be saved');
    });
  };
  return { saved, error, persist };
}

export function AlertFilterBar({
  zones,
  assets,
  shown,
  total,
}: {
  zones: ReadonlyMap<string, string>;
  assets: ReadonlyMap<string, AssetLabel>;
  shown: number;
  total: number;
}) {
  const filter = useAlertConsoleStore((state) => state.filter);
  const setFilter = useAlertConsoleStore((state) => state.setFilter);
  const replaceFilter = useAlertConsoleStore((state) => state.replaceFilter);
  const searchFocusRequest = useAlertConsoleStore((state) => state.searchFocusRequest);
  const searchRef = useRef<HTMLInputElement>(null);
  const { saved, error, persist } = useSavedFilters();

  useEffect(() => {
    if (searchFocusRequest > 0) searchRef.current?.focus();
  }, [searchFocusRequest]);

  // Electron has no window.prompt: the name is typed in place of the button.
  const [naming, setNaming] = useState<string | null>(null);
  const saveCurrent = () => {
    const name = naming?.trim();
    if (name) persist(withSavedFilter(saved, { name: name.slice(0, 80), filter }));
    setNaming(null);
  };
  const applySaved = (name: string) => {
    const entry = saved.find((candidate) => candidate.name === name);
    if (entry) replaceFilter(entry.filter);
  };
  // The bar re-renders with every batch of alert changes; the option lists change only with the names.
  const zoneOptions = useMemo(() => [...zones.entries()].sort((a, b) => a[1].localeCompare(b[1])), [zones]);
  const assetOptions = useMemo(
    () => [...assets.entries()].sort((a, b) => a[1].code.localeCompare(b[1].code)),
    [assets],
  );

  return (
    <div className="filter-bar" role="search">
      <input
        ref={searchRef}
        type="search"
        className="filter-bar__search"
        placeholder="Search alarms, assets, zones   /"
        aria-label="Search alerts"
        value={filter.text}
        onChange={(event) => {
          setFilter({ text: event.target.value });
        }}
        onKeyDown={(event) => {
          if (event.key === 'Escape' || event.key === 'Enter') event.currentTarget.blur();
        }}
      />
      <fieldset className="chips" aria-label="Priority">
        {alertPriorities.map((priority: AlertPriority) => (
          <label key={priority} className={`chip chip--${priority}`}>
            <input
              type="checkbox"
              checked={filter.priorities.includes(priority)}
              onChange={() => {
                setFilter({ priorities: toggled(filter.priorities, priority) });
              }}
            />
            <span aria-hidden="true">{priorityStyle[priority].icon}</span> {priorityStyle[priority].label}
          </label>
        ))}
      </fieldset>
      <select
        aria-label="State"
        value={
          filter.states.length === 1 ? filter.states[0] : filter.states.length > 1 ? EVERY_OPEN_STATE : ''
        }
        onChange={(event) => {
          const value = event.target.value;
          setFilter({
            states:
              value === EVERY_OPEN_STATE ? [...openStatesByUrgency] : value ? [value as AlertState] : [],
          });
        }}
      >
        <option value="">Standing alerts</option>
        <option value={EVERY_OPEN_STATE}>Every open state</option>
        {openStatesByUrgency.map((state) => (
          <option key={state} value={state}>
            {stateLabels[state]}
          </option>
        ))}
      </select>
      <select
        aria-label="Zone"
        value={filter.zoneId ?? ''}
        onChange={(event) => {
          setFilter({ zoneId: event.target.value || null });
        }}
      >
        <option value="">Any zone</option>
        {zoneOptions.map(([id, name]) => (
          <option key={id} value={id}>
            {name}
          </option>
        ))}
      </select>
      <select
        aria-label="Asset"
        className="filter-bar__asset"
        value={filter.assetId ?? ''}
        onChange={(event) => {
          setFilter({ assetId: event.target.value || null });
        }}
      >
        <option value="">Any asset</option>
        {assetOptions.map(([id, label]) => (
          <option key={id} value={id}>
            {label.code} {label.name}
          </option>
        ))}
      </select>
      <select
        aria-label="Saved filters"
        value=""
        onChange={(event) => {
          applySaved(event.target.value);
        }}
      >
        <option value="">Saved filters…</option>
        {saved.map((entry) => (
          <option key={entry.name} value={entry.name}>
            {entry.name}
          </option>
        ))}
      </select>
      {naming === null ? (
        <button
          type="button"
          className="button"
          onClick={() => {
            setNaming('');
          }}
          disabled={isEmpty(filter)}
        >
          Save filter
        </button>
      ) : (
        <form
          className="filter-bar__naming"
          onSubmit={(event) => {
            event.preventDefault();
            saveCurrent();
          }}
        >
          <input
            aria-label="Filter name"
            placeholder="Filter name"
            value={naming}
            maxLength={80}
            autoFocus
            onChange={(event) => {
              setNaming(event.target.value);
            }}
            onKeyDown={(event) => {
              if (event.key === 'Escape') setNaming(null);
            }}
          />
          <button type="submit" className="button" disabled={naming.trim() === ''}>
            Save
          </button>
        </form>
      )}
      <button
        type="button"
        className="button"
        onClick={() => {
          replaceFilter(emptyFilter);
        }}
        disabled={isEmpty(filter)}
      >
        Clear
      </button>
      <span className="filter-bar__count" aria-live="polite">
        {shown === total ? `${total} alerts` : `${shown} of ${total} alerts`}
      </span>
      {error ? <span className="filter-bar__error">{error}</span> : null}
    </div>
  );
}

function isEmpty(filter: AlertFilter): boolean {
  return (
    filter.priorities.length === 0 &&
    filter.states.length === 0 &&
    filter.zoneId === null &&
    filter.assetId === null &&
    filter.text.trim() === ''
  );
}
