// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import type { DesktopApi, PreferenceValue } from '../../../common/desktop-api.ts';
import { emptyFilter } from './alert-rows.ts';
import { loadSavedFilters, parseSavedFilters, storeSavedFilters, withSavedFilter } from './saved-filters.ts';

const critical = { name: 'Critical, Zone 4', filter: { ...emptyFilter, priorities: ['critical' as const] } };

function fakeDesktop(): { api: DesktopApi; preferences: Map<string, PreferenceValue> } {
  const preferences = new Map<string, PreferenceValue>();
  const api: DesktopApi = {
    getServerUrl: () => Promise.resolve(null),
    setServerUrl: () => Promise.resolve(),
    getPreference: (key) => Promise.resolve(preferences.get(key) ?? null),
    setPreference: (key, value) => {
      preferences.set(key, value);
      return Promise.resolve();
    },
    notify: () => Promise.resolve(),
    setBadgeCount: () => Promise.resolve(),
    openPopout: () => Promise.resolve(),
  };
  return { api, preferences };
}

describe('saved filters', () => {
  afterEach(() => {
    Reflect.deleteProperty(window, 'tidewatch');
    window.localStorage.clear();
  });

  it('keep to localStorage in a browser, where there is no desktop API', async () => {
    expect(window.tidewatch).toBeUndefined();
    await storeSavedFilters([critical]);
    expect(await loadSavedFilters()).toEqual([critical]);
  });

  it('go to the desktop settings file when the preload API is there', async () => {
    const { api, preferences } = fakeDesktop();
    Object.defineProperty(window, 'tidewatch', { value: api, configurable: true });
    await storeSavedFilters([critical]);
    expect(window.localStorage.length).toBe(0);
    expect(preferences.get('alerts.saved-filters')).toEqual([
      { name: critical.name, filter: { ...critical.filter, priorities: ['critical'] } },
    ]);
    expect(await loadSavedFilters()).toEqual([critical]);
  });

  it('read what they can from damaged or edited storage and drop the rest', async () => {
    window.localStorage.setItem('tidewatch.alerts.saved-filters', '{not json');
    expect(await loadSavedFilters()).toEqual([]);
    expect(
      parseSavedFilters([
        { name: 'ok', filter: { priorities: ['critical', 'bogus'], states: 'x', zoneId: 7, text: 'pump' } },
        { name: 42, filter: {} },
        'nonsense',
      ]),
    ).toEqual([
      {
        name: 'ok',
        filter: { priorities: ['critical'], states: [], zoneId: null, assetId: null, text: 'pump' },
      },
    ]);
  });

  it('replace a saved filter of the same name and put it first', () => {
    const other = { name: 'Pumps', filter: { ...emptyFilter, text: 'pump' } };
    const renewed = {
      ...critical,
      filter: { ...emptyFilter, priorities: ['critical' as const, 'high' as const] },
    };
    expect(withSavedFilter([other, critical], renewed)).toEqual([renewed, other]);
  });
});
