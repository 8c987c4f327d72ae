import type { Rect } from './settings-schema.ts';

export interface DisplayArea {
  readonly id: number;
  /** The display's area without taskbar and dock, in screen coordinates. */
  readonly workArea: Rect;
}

/** How much of a window's top edge must be on a display for the operator to grab it and drag it. */
export const MIN_GRABBABLE_PX = 80;
const TITLE_BAR_PX = 32;

function overlap(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null;
}

const area = (rect: Rect | null): number => (rect ? rect.width * rect.height : 0);

/**
 * Places a remembered window on the displays there are now. A window whose title bar can still be grabbed
 * stays exactly where it was (it may span two monitors); one that would be lost (its monitor unplugged, the
 * resolution lowered) moves onto the display it overlaps most, else the one it was on, else the first
 * (primary), shrunk to fit that display's work area when it is larger.
 *
 * @example clampToDisplays({ x: 3000, y: 100, width: 800, height: 600 }, [{ id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1040 } }])
 * // { x: 1120, y: 100, width: 800, height: 600 }
 */
export function clampToDisplays(
  bounds: Rect,
  displays: readonly DisplayArea[],
  rememberedDisplayId: number | null = null,
): Rect {
  const first = displays[0];
  if (!first) return bounds;
  const titleBar: Rect = {
    x: bounds.x,
    y: bounds.y,
    width: bounds.width,
    height: Math.min(TITLE_BAR_PX, bounds.height),
  };
  const grabbable = displays.some((display) => {
    const visible = overlap(titleBar, display.workArea);
    return visible !== null && visible.width >= Math.min(MIN_GRABBABLE_PX, bounds.width);
  });
  if (grabbable) return bounds;

  const byOverlap = displays
    .map((display) => ({ display, shared: area(overlap(bounds, display.workArea)) }))
    .filter(({ shared }) => shared > 0)
    .sort((a, b) => b.shared - a.shared)[0]?.display;
  const target = byOverlap ?? displays.find((display) => display.id === rememberedDisplayId) ?? first;
  const work = target.workArea;
  const width = Math.min(bounds.width, work.width);
  const height = Math.min(bounds.height, work.height);
  return {
    x: Math.min(Math.max(bounds.x, work.x), work.x + work.width - width),
    y: Math.min(Math.max(bounds.y, work.y), work.y + work.height - height),
    width,
    height,
  };
}

/** The bounds a window opens with the first time: centred on the primary display, at most `size`. */
export function defaultBounds(
  displays: readonly DisplayArea[],
  size: { width: number; height: number },
): Rect {
  const work = displays[0]?.workArea ?? { x: 0, y: 0, width: size.width, height: size.height };
  const width = Math.min(size.width, work.width);
  const height = Math.min(size.height, work.height);
  return {
    x: work.x + Math.round((work.width - width) / 2),
    y: work.y + Math.round((work.height - height) / 2),
    width,
    height,
  };
}
