/**
 * The contract between the Electron preload and the renderer: what `window.tidewatch` offers. Types and
 * constants only, so the sandboxed preload bundle and the browser build both stay free of Node and zod.
 */

/** Views that can live in a window of their own, on another monitor. */
export const popoutKinds = ['alerts', 'map', 'trends', 'admin'] as const;
export type PopoutKind = (typeof popoutKinds)[number];

export function isPopoutKind(view: string | null): view is PopoutKind {
  return popoutKinds.some((kind) => kind === view);
}

export interface DesktopNotification {
  readonly title: string;
  readonly body: string;
  /** Critical alarms stay on screen until the operator dismisses them. */
  readonly urgent: boolean;
}

/** A renderer preference value: plain JSON, stored in the settings file beside the window layout. */
export type PreferenceValue =
  string | number | boolean | null | PreferenceValue[] | { [key: string]: PreferenceValue };

export interface DesktopApi {
  /** The server this desktop talks to, or null before the operator has chosen one. */
  getServerUrl(): Promise<string | null>;
  /** Saves the server address; the windows reload so the content security policy admits the new origin. */
  setServerUrl(url: string): Promise<void>;
  getPreference(key: string): Promise<PreferenceValue | null>;
  setPreference(key: string, value: PreferenceValue): Promise<void>;
  notify(notification: DesktopNotification): Promise<void>;
  /** The number of unacknowledged alerts, shown on the tray icon and the dock or taskbar. */
  setBadgeCount(count: number): Promise<void>;
  /** Opens (or focuses) a pop-out window, where it was last placed. */
  openPopout(kind: PopoutKind): Promise<void>;
}

/** Which view a window shows, from its `?view=` query parameter; the main window has none. */
export const VIEW_QUERY_PARAMETER = 'view';
