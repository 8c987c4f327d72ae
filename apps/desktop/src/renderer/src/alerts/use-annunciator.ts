import type { Alert } from '@tidewatch/shared';
import { useEffect, useMemo, useRef, useState } from 'react';
import { playTone, tones } from './alert-sound.ts';
import { soundingAlerts, soundingPriority } from './annunciation.ts';
import { useAnnunciatorStore } from './annunciator-store.ts';

/**
 * Exactly one console window of this browser sounds: the one holding the Web Lock; when it closes, another takes
 * over. Without Web Locks, every enabled window sounds.
 */
function useSoundingWindow(enabled: boolean): boolean {
  const [holder, setHolder] = useState(false);
  useEffect(() => {
    if (!enabled) return;
    if (!('locks' in navigator)) {
      setHolder(true);
      return;
    }
    const release = new AbortController();
    navigator.locks
      .request('tidewatch-annunciator', { signal: release.signal }, () => {
        setHolder(true);
        return new Promise<void>((resolve) => {
          release.signal.addEventListener('abort', () => {
            resolve();
          });
        });
      })
      .catch(() => undefined);
    return () => {
      release.abort();
      setHolder(false);
    };
  }, [enabled]);
  return holder;
}

export interface Annunciation {
  /** Unacknowledged critical and high alerts still sounding. */
  readonly sounding: readonly Alert[];
  /** Silences what sounds now (in every window); new alerts sound again. */
  readonly silence: () => void;
}

/**
 * The audible alarm: while any unacknowledged critical or high alert is not silenced, its tone repeats (critical
 * every 4 s, high every 8 s; the most urgent wins) until it is acknowledged or silenced.
 */
export function useAnnunciator(alerts: readonly Alert[] | undefined, enabled: boolean): Annunciation {
  const silenced = useAnnunciatorStore((state) => state.silenced);
  const silenceIds = useAnnunciatorStore((state) => state.silence);
  const sounding = useMemo(() => soundingAlerts(alerts ?? [], silenced), [alerts, silenced]);
  const priority = soundingPriority(sounding);
  const soundHere = useSoundingWindow(enabled);
  // A new alert of the same priority sounds at once rather than at the next repeat.
  const newest = sounding.reduce((latest, alert) => (alert.raisedAt > latest ? alert.raisedAt : latest), '');
  const latestSounding = useRef(sounding);
  latestSounding.current = sounding;

  useEffect(() => {
    if (!soundHere || priority === null) return;
    const repeatMs = tones[priority]?.repeatMs ?? 8000;
    playTone(priority);
    const timer = window.setInterval(() => {
      playTone(priority);
    }, repeatMs);
    return () => {
      window.clearInterval(timer);
    };
  }, [soundHere, priority, newest]);

  return {
    sounding,
    silence: () => {
      silenceIds(latestSounding.current.map((alert) => alert.id));
    },
  };
}
