import type { DesktopApi, PopoutKind } from '../../../common/desktop-api.ts';
import { popoutKinds, VIEW_QUERY_PARAMETER } from '../../../common/desktop-api.ts';

declare global {
  interface Window {
    /** Present in the Electron app (the preload's contextBridge API); absent in a browser. */
    readonly tidewatch?: DesktopApi;
  }
}

/** The desktop API when running in the Electron shell, null in a plain browser. */
export function desktopApi(): DesktopApi | null {
  return typeof window === 'undefined' ? null : (window.tidewatch ?? null);
}

/** The pop-out view this window shows, or null for the main console. */
export function currentPopout(search: string = window.location.search): PopoutKind | null {
  const view = new URLSearchParams(search).get(VIEW_QUERY_PARAMETER);
  return popoutKinds.find((kind) => kind === view) ?? null;
}
