import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { probeDelayMs } from './connection-state.ts';
import { reportConnection, useConnectionStore } from './connection-store.ts';

/**
 * While the server is unreachable, probes it with growing pauses; the first answer marks the console online
 * and refetches everything, so the banner clears and the data catches up without the operator doing anything.
 */
export function useConnectionMonitor(serverUrl: string): void {
  const status = useConnectionStore((state) => state.status);
  const queryClient = useQueryClient();

  useEffect(() => {
    const lost = () => {
      reportConnection({ type: 'network-lost' });
    };
    window.addEventListener('offline', lost);
    return () => {
      window.removeEventListener('offline', lost);
    };
  }, []);

  useEffect(() => {
    if (status === 'online') return;
    let attempt = 0;
    let timer: number | undefined;
    let stopped = false;
    const probe = async () => {
      try {
        // An opaque no-cors answer is enough: it proves the server is reachable.
        await fetch(new URL('/health/live', serverUrl), { mode: 'no-cors', cache: 'no-store' });
        if (stopped) return;
        reportConnection({ type: 'success' });
        await queryClient.invalidateQueries();
      } catch {
        if (stopped) return;
        reportConnection({ type: 'failure' });
        attempt += 1;
        timer = window.setTimeout(() => void probe(), probeDelayMs(attempt));
      }
    };
    const retryNow = () => {
      window.clearTimeout(timer);
      attempt = 0;
      void probe();
    };
    window.addEventListener('online', retryNow);
    timer = window.setTimeout(() => void probe(), probeDelayMs(0));
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      window.removeEventListener('online', retryNow);
    };
  }, [status, serverUrl, queryClient]);
}
