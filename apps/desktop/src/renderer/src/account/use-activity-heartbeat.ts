import { useEffect } from 'react';
import { reportActivity } from './account-api.ts';

/** At most one report a minute: the server counts activity by the minute. */
const REPORT_EVERY_MS = 60_000;

/**
 * Keeps the session from its idle timeout while the operator is at the console: a key press, a click or a touch
 * reports activity (once a minute at most). Live events arriving on a screen nobody touches do not, so an
 * unattended console signs out after its role's idle limit.
 */
export function useActivityHeartbeat(): void {
  useEffect(() => {
    let lastReport = Date.now();
    const onInput = () => {
      const now = Date.now();
      if (now - lastReport < REPORT_EVERY_MS) return;
      lastReport = now;
      reportActivity().catch(() => undefined);
    };
    const events = ['pointerdown', 'keydown', 'wheel'] as const;
    for (const name of events) window.addEventListener(name, onInput, { capture: true, passive: true });
    return () => {
      for (const name of events) window.removeEventListener(name, onInput, { capture: true });
    };
  }, []);
}
