import type { BrowserWindow, Screen } from 'electron';
import type { Rect, WindowPlacement } from './settings-schema.ts';
import { clampToDisplays, defaultBounds, type DisplayArea } from './window-bounds.ts';

const SAVE_DELAY_MS = 400;

export function currentDisplays(screen: Screen): DisplayArea[] {
  const primary = screen.getPrimaryDisplay();
  const others = screen.getAllDisplays().filter((display) => display.id !== primary.id);
  return [primary, ...others].map((display) => ({ id: display.id, workArea: display.workArea }));
}

/** The bounds to open a window with: where it was, kept on a display that exists now. */
export function restoredBounds(
  screen: Screen,
  placement: WindowPlacement | null | undefined,
  size: { width: number; height: number },
): Rect {
  const displays = currentDisplays(screen);
  return placement
    ? clampToDisplays(placement.bounds, displays, placement.displayId)
    : defaultBounds(displays, size);
}

/**
 * Reports a window's placement whenever the operator moves, resizes, maximizes or closes it. Moves are
 * debounced; closing saves at once with `open: false` only when `closingForGood` says the window was closed by
 * the operator rather than by quitting the app (so pop-outs open at quit reopen at the next start).
 */
export function trackPlacement(
  window: BrowserWindow,
  screen: Screen,
  save: (placement: WindowPlacement) => void,
  closingForGood: () => boolean,
): void {
  let timer: NodeJS.Timeout | undefined;
  const placement = (open: boolean): WindowPlacement => {
    const bounds = window.getNormalBounds();
    return {
      bounds,
      displayId: screen.getDisplayMatching(bounds).id,
      maximized: window.isMaximized(),
      open,
    };
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!window.isDestroyed()) save(placement(true));
    }, SAVE_DELAY_MS);
  };
  window.on('move', later);
  window.on('resize', later);
  window.on('maximize', later);
  window.on('unmaximize', later);
  window.on('close', () => {
    clearTimeout(timer);
    save(placement(!closingForGood()));
  });
}
