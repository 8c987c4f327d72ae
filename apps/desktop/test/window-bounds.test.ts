import { describe, expect, it } from 'vitest';
import { clampToDisplays, defaultBounds, type DisplayArea } from '../src/main/window-bounds.ts';

const laptop: DisplayArea = { id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
const rightMonitor: DisplayArea = { id: 2, workArea: { x: 1920, y: 0, width: 2560, height: 1400 } };

describe('clampToDisplays', () => {
  it('leaves a window that is on a display where it is, even across two monitors', () => {
    const onSecond = { x: 2200, y: 100, width: 1200, height: 800 };
    expect(clampToDisplays(onSecond, [laptop, rightMonitor], 2)).toEqual(onSecond);
    const spanning = { x: 1500, y: 100, width: 1000, height: 700 };
    expect(clampToDisplays(spanning, [laptop, rightMonitor], 1)).toEqual(spanning);
  });

  it('brings back a pop-out whose monitor was unplugged, onto the primary display', () => {
    const clamped = clampToDisplays({ x: 2200, y: 100, width: 1200, height: 800 }, [laptop], 2);
    expect(clamped).toEqual({ x: 720, y: 100, width: 1200, height: 800 });
  });

  it('shrinks a window larger than the display that is left', () => {
    const clamped = clampToDisplays({ x: 1920, y: 0, width: 2560, height: 1400 }, [laptop], 2);
    expect(clamped).toEqual({ x: 0, y: 0, width: 1920, height: 1040 });
  });

  it('moves a window whose title bar is out of reach onto the display it overlaps most', () => {
    // Above the top of the right monitor: only its lower part is visible, the title bar is not.
    const clamped = clampToDisplays(
      { x: 2500, y: -600, width: 1000, height: 800 },
      [laptop, rightMonitor],
      null,
    );
    expect(clamped).toEqual({ x: 2500, y: 0, width: 1000, height: 800 });
  });

  it('uses the remembered display when the window overlaps none', () => {
    const clamped = clampToDisplays({ x: 9000, y: 9000, width: 800, height: 600 }, [laptop, rightMonitor], 2);
    expect(clamped).toEqual({ x: 3680, y: 800, width: 800, height: 600 });
  });

  it('keeps bounds when no display is known', () => {
    const bounds = { x: 5, y: 5, width: 10, height: 10 };
    expect(clampToDisplays(bounds, [], 1)).toEqual(bounds);
  });

  it('centres a first-time window on the primary display', () => {
    expect(defaultBounds([laptop, rightMonitor], { width: 1440, height: 900 })).toEqual({
      x: 240,
      y: 70,
      width: 1440,
      height: 900,
    });
  });
});
