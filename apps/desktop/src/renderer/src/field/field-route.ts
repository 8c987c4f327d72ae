import { useEffect, useState } from 'react';

/** Where the field app is: a tab, or one alert, incident or asset. Kept in the hash so the back button works. */
export type FieldRoute =
  | { readonly screen: 'alerts' | 'incidents' | 'nearby' | 'queue' }
  | { readonly screen: 'alert' | 'incident' | 'asset'; readonly id: string };

const TABS = new Set(['alerts', 'incidents', 'nearby', 'queue']);
const ONE = new Set(['alert', 'incident', 'asset']);

/**
 * @example parseRoute('#/incident/5f0c…') // { screen: 'incident', id: '5f0c…' }
 */
export function parseRoute(hash: string): FieldRoute {
  const [screen = '', id] = hash.replace(/^#\/?/, '').split('/');
  if (id && ONE.has(screen))
    return { screen: screen as 'alert' | 'incident' | 'asset', id: decodeURIComponent(id) };
  if (TABS.has(screen)) return { screen: screen as 'alerts' | 'incidents' | 'nearby' | 'queue' };
  return { screen: 'alerts' };
}

export function routeHref(route: FieldRoute): string {
  return 'id' in route ? `#/${route.screen}/${encodeURIComponent(route.id)}` : `#/${route.screen}`;
}

export function useFieldRoute(): FieldRoute {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => {
      setRoute(parseRoute(window.location.hash));
    };
    window.addEventListener('hashchange', changed);
    return () => {
      window.removeEventListener('hashchange', changed);
    };
  }, []);
  return route;
}
