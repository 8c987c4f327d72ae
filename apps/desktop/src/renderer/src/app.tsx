import { useAlertFeed } from './alerts/alert-feed.ts';
import { useDesktopAlertSignals } from './alerts/use-desktop-alert-signals.ts';
import { AlertConsole } from './components/alert-console.tsx';
import { AppHeader } from './components/app-header.tsx';
import { ConnectionBanner } from './components/connection-banner.tsx';
import { LoginScreen } from './components/login-screen.tsx';
import { describeError } from './api/api-error.ts';
import { useConnectionMonitor } from './connection/use-connection-monitor.ts';
import { currentPopout } from './desktop/desktop-bridge.ts';
import { useAssetLabels, useZoneNames } from './reference/reference-data.ts';
import type { Session } from './session/session.ts';
import { useSessionStore } from './session/session-store.ts';
import { useSessionRefresh } from './session/use-session-refresh.ts';

const popout = currentPopout();

function ConsoleShell({ session }: { session: Session }) {
  useConnectionMonitor(session.serverUrl);
  const feed = useAlertFeed(session.tenantId);
  const zones = useZoneNames(session.tenantId);
  const assets = useAssetLabels(session.tenantId);
  const alerts = feed.data ?? [];
  useDesktopAlertSignals(feed.data, popout === null);

  return (
    <div className="shell">
      <AppHeader session={session} alerts={alerts} popout={popout !== null} />
      <ConnectionBanner dataUpdatedAt={feed.dataUpdatedAt} />
      {session.tenantId === null ? (
        <p className="notice">Choose a tenant to see its alerts.</p>
      ) : popout === 'map' || popout === 'trends' ? (
        <p className="notice">The {popout} view arrives in a later release of this console.</p>
      ) : (
        <>
          {feed.isError && !feed.data ? (
            <p role="alert" className="notice notice--error">
              {describeError(feed.error)}
            </p>
          ) : null}
          <AlertConsole
            alerts={alerts}
            loading={feed.isPending}
            assets={assets.data}
            zones={zones.data}
            role={session.user.role}
          />
        </>
      )}
    </div>
  );
}

export function App() {
  useSessionRefresh();
  const session = useSessionStore((state) => state.session);
  return session ? (
    <ConsoleShell
      key={`${session.serverUrl} ${session.user.id} ${session.tenantId ?? ''}`}
      session={session}
    />
  ) : (
    <LoginScreen />
  );
}
