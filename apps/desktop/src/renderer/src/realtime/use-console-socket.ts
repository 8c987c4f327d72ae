import { useQueryClient } from '@tanstack/react-query';
import { meSchema } from '@tidewatch/shared';
import { useEffect, useState } from 'react';
import { apiRequest, refreshTokens } from '../api/api-client.ts';
import { reportConnection } from '../connection/connection-store.ts';
import { useSessionStore } from '../session/session-store.ts';
import { ConsoleSocket } from './console-socket.ts';
import { TelemetrySubscriptions, type LiveTelemetrySource } from './telemetry-subscriptions.ts';

/**
 * Opens the console's one socket for the signed-in operator and tenant, for as long as the shell is shown; keeps
 * it on the current access token and reconnects at once when the operating system reports the network back.
 * Returns the live telemetry the views follow over that socket.
 */
export function useConsoleSocket(tenantId: string | null): LiveTelemetrySource {
  const queryClient = useQueryClient();
  const [telemetry] = useState(() => new TelemetrySubscriptions());

  useEffect(() => {
    if (tenantId === null) return;
    const sessions = useSessionStore;
    const socket = new ConsoleSocket(tenantId, {
      queryClient,
      session: () => sessions.getState().session,
      refreshTokens,
      signedOut: (reason) => {
        sessions.getState().signedOut(reason);
      },
      userChanged: async () => {
        const user = meSchema.parse(await apiRequest('/me'));
        sessions.getState().userChanged(user);
        return user;
      },
      report: reportConnection,
      telemetry,
    });
    socket.start();
    const stopFollowingTokens = sessions.subscribe((state, previous) => {
      const token = state.session?.accessToken;
      if (token && token !== previous.session?.accessToken) socket.renew(token);
    });
    const lost = () => {
      reportConnection({ type: 'network-lost' });
    };
    const back = () => {
      socket.retryNow();
    };
    window.addEventListener('offline', lost);
    window.addEventListener('online', back);
    return () => {
      stopFollowingTokens();
      window.removeEventListener('offline', lost);
      window.removeEventListener('online', back);
      socket.stop();
      // The next shell (another tenant, another operator) starts from a clean state.
      reportConnection({ type: 'success' });
    };
  }, [tenantId, queryClient, telemetry]);
  return telemetry;
}
