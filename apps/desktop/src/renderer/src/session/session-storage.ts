import { sessionSchema, type Session } from './session.ts';

/**
 * The session lives in localStorage so pop-out windows and other tabs of the console share it: a refresh or a
 * sign-out in one window reaches the others through the `storage` event.
 */
const SESSION_KEY = 'tidewatch.session.v1';

export function loadSession(storage: Storage = window.localStorage): Session | null {
  const text = storage.getItem(SESSION_KEY);
  if (text === null) return null;
  try {
    const parsed = sessionSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null, storage: Storage = window.localStorage): void {
  if (session) storage.setItem(SESSION_KEY, JSON.stringify(session));
  else storage.removeItem(SESSION_KEY);
}

/** Calls `changed` with the session another window stored (or null when it signed out). */
export function onSessionChangedElsewhere(changed: (session: Session | null) => void): () => void {
  const listener = (event: StorageEvent) => {
    if (event.key === SESSION_KEY || event.key === null) changed(loadSession());
  };
  window.addEventListener('storage', listener);
  return () => {
    window.removeEventListener('storage', listener);
  };
}
