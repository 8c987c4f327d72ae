import { alertPriorities, alertStates, type AlertPriority, type AlertState } from '@tidewatch/shared';
import type { PreferenceValue } from '../../../common/desktop-api.ts';
import { desktopApi } from '../desktop/desktop-bridge.ts';
import type { AlertFilter } from './alert-rows.ts';

export interface SavedFilter {
  readonly name: string;
  readonly filter: AlertFilter;
}

/** The preference key in the desktop settings file and the localStorage key in a browser. */
const PREFERENCE_KEY = 'alerts.saved-filters';
const STORAGE_KEY = `tidewatch.${PREFERENCE_KEY}`;
export const MAX_SAVED_FILTERS = 30;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const stringsOf = <T extends string>(value: unknown, allowed: readonly T[]): T[] =>
  Array.isArray(value) ? allowed.filter((item) => value.includes(item)) : [];
const textOrNull = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/** Reads saved filters defensively: they come from a file or storage anyone could have edited. */
export function parseSavedFilters(value: unknown): SavedFilter[] {
  if (!Array.isArray(value)) return [];
  return value
    .flatMap((entry): SavedFilter[] => {
      if (!isRecord(entry) || typeof entry.name !== 'string' || !isRecord(entry.filter)) return [];
      const filter = entry.filter;
      return [
        {
          name: entry.name.slice(0, 80),
          filter: {
            priorities: stringsOf<AlertPriority>(filter.priorities, alertPriorities),
            states: stringsOf<AlertState>(filter.states, alertStates),
            zoneId: textOrNull(filter.zoneId),
            assetId: textOrNull(filter.assetId),
            text: typeof filter.text === 'string' ? filter.text.slice(0, 200) : '',
          },
        },
      ];
    })
    .slice(0, MAX_SAVED_FILTERS);
}

function toPreference(filters: readonly SavedFilter[]): PreferenceValue {
  return filters.map(({ name, filter }) => ({
    name,
    filter: {
      priorities: [...filter.priorities],
      states: [...filter.states],
      zoneId: filter.zoneId,
      assetId: filter.assetId,
      text: filter.text,
    },
  }));
}

/** In the desktop app, saved filters live in its settings file; in a browser, in localStorage. */
export async function loadSavedFilters(): Promise<SavedFilter[]> {
  const desktop = desktopApi();
  if (desktop) return parseSavedFilters(await desktop.getPreference(PREFERENCE_KEY));
  try {
    return parseSavedFilters(JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? '[]'));
  } catch {
    return [];
  }
}

export async function storeSavedFilters(filters: readonly SavedFilter[]): Promise<void> {
  const value = toPreference(filters.slice(0, MAX_SAVED_FILTERS));
  const desktop = desktopApi();
  if (desktop) await desktop.setPreference(PREFERENCE_KEY, value);
  else window.localStorage.setItem(STORAGE_KEY, JSON.stringify(value));
}

/** Adds or replaces (by name) a saved filter. */
export function withSavedFilter(filters: readonly SavedFilter[], saved: SavedFilter): SavedFilter[] {
  return [saved, ...filters.filter((entry) => entry.name !== saved.name)].slice(0, MAX_SAVED_FILTERS);
}
