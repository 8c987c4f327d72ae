import { useEffect } from 'react';
import { refreshTokens } from '../api/api-client.ts';
import { refreshDelayMs } from './session.ts';
import { onSessionChangedElsewhere } from './session-storage.ts';
import { useSessionStore } from './session-store.ts';

const RETRY_AFTER_FAILURE_MS = 10_000;

/**
 * Refreshes the tokens shortly before the access token expires, so an operator watching the console never
 * meets an expired token; and follows sign-ins, refreshes and sign-outs made in the other windows.
 */
export function useSessionRefresh(): void {
  const session = useSessionStore((state) => state.session);

  useEffect(
    () =>
      onSessionChangedElsewhere((stored) => {
        const store = useSessionStore.getState();
        if (stored) store.tokensChanged(stored);
        else if (store.session) store.signedOut();
      }),
    [],
  );

  useEffect(() => {
    if (!session) return;
    let timer: number | undefined;
    const run = () => {
      refreshTokens(session).catch(() => {
        // A refused refresh has signed the operator out already; offline or a server error: try again soon.
        if (useSessionStore.getState().session) timer = window.setTimeout(run, RETRY_AFTER_FAILURE_MS);
      });
    };
    timer = window.setTimeout(run, refreshDelayMs(session, Date.now()));
    return () => {
      window.clearTimeout(timer);
    };
  }, [session]);
}
