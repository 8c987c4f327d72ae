// @vitest-environment jsdom
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';
import { makeAlert } from '../test-support/make-alert.ts';
import { toRows } from '../alerts/alert-rows.ts';
import { AlertTable } from './alert-table.tsx';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
// jsdom lays nothing out: give the scrolling body the height of a real 600-pixel table.
Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 });
Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1200 });
// Nor does it implement media queries; an operator who asked for reduced motion gets no blinking.
window.matchMedia = (query: string) => ({ matches: query.includes('reduced-motion') }) as MediaQueryList;

describe('AlertTable', () => {
  it('puts only a window of ten thousand rows into the DOM, with state and priority in words', async () => {
    const alerts = Array.from({ length: 10_000 }, (_, i) =>
      makeAlert({
        state: i === 0 ? 'returned_unacknowledged' : 'active_unacknowledged',
        priority: 'critical',
      }),
    );
    const rows = toRows(alerts, new Map(), new Map());
    const container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    await act(async () => {
      root.render(<AlertTable rows={rows} loading={false} />);
      await Promise.resolve();
    });
    // The virtualizer measures its scroll element after the first render and renders again.
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    const rendered = container.querySelectorAll('[role="row"][data-alert-id]');
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThan(60);
    expect(container.querySelector('[role="grid"]')?.getAttribute('aria-rowcount')).toBe('10001');
    const first = rendered[0];
    expect(first?.textContent).toContain('Critical');
    expect(first?.textContent).toContain('Returned, unack.');
    expect(first?.querySelector('.state--returned-unacknowledged')).not.toBeNull();
    expect(rendered[1]?.querySelector('.state--active-unacknowledged')).not.toBeNull();
    act(() => {
      root.unmount();
    });
  });
});
