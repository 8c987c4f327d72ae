import { useMemo } from 'react';
import { AccountView } from './account/account-view.tsx';
import { SignInSteps } from './account/sign-in-steps.tsx';
import { useActivityHeartbeat } from './account/use-activity-heartbeat.ts';
import { AdminView } from './admin/admin-view.tsx';
import { useAlertFeed } from './alerts/alert-feed.ts';
import { useAnnunciator } from './alerts/use-annunciator.ts';
import { useDesktopAlertSignals } from './alerts/use-desktop-alert-signals.ts';
import { describeError } from './api/api-error.ts';
import { AlarmManagementView } from './components/alarm-management-view.tsx';
import { AlertConsole } from './components/alert-console.tsx';
import { AppHeader } from './components/app-header.tsx';
import { ConnectionBanner } from './components/connection-banner.tsx';
import { visibleViews } from './components/console-nav.tsx';
import { HandoverView } from './components/handover-view.tsx';
import { IncidentsView } from './components/incidents-view.tsx';
import { LoginScreen } from './components/login-screen.tsx';
import { MapView } from './map/map-view.tsx';
import { openTrendWindow } from './map/open-trend.ts';
import { currentPopout } from './desktop/desktop-bridge.ts';
import { DmaView } from './dma/dma-view.tsx';
import { useConsoleSocket } from './realtime/use-console-socket.ts';
import { useAssetLabels } from './reference/asset-labels.ts';
import { useZoneNames } from './reference/reference-data.ts';
import type { Session } from './session/session.ts';
import { useSessionStore } from './session/session-store.ts';
import { useSessionRefresh } from './session/use-session-refresh.ts';
import { useViewStore } from './shell/view-store.ts';
import { seriesFromLocation, TrendView } from './trends/trend-view.tsx';

const popout = currentPopout();
const trendSeries = seriesFromLocation();
/** `?view=admin`: tenant administration in its own window or tab. */
const adminRequested = new URLSearchParams(window.location.search).get('view') === 'admin';

function ConsoleShell({ session }: { session: Session }) {
  useActivityHeartbeat();
  const liveTelemetry = useConsoleSocket(session.tenantId);
  const feed = useAlertFeed(session.tenantId);
  const zones = useZoneNames(session.tenantId);
  const chosenView = useViewStore((state) => state.view);
  const alerts = feed.data ?? [];
  // Names only for the assets the alerts point at: a network of a million assets is never downloaded whole.
  const alertAssetIds = useMemo(() => (feed.data ?? []).map((alert) => alert.assetId), [feed.data]);
  const assets = useAssetLabels(session.tenantId, alertAssetIds);
  useDesktopAlertSignals(feed.data, popout === null);
  // Every console window takes part: one of them sounds (see useAnnunciator), any of them silences.
  const annunciation = useAnnunciator(feed.data, session.tenantId !== null);
  const role = session.user.role;
  // A pop-out shows its one view; a role that lost a screen (its role changed) falls back to the alerts.
  const view =
    popout === 'alerts' ? 'alerts' : visibleViews(role).includes(chosenView) ? chosenView : 'alerts';

  return (
    <div className="shell">
      <AppHeader session={session} alerts={alerts} popout={popout !== null} annunciation={annunciation} />
      <ConnectionBanner dataUpdatedAt={feed.dataUpdatedAt} />
      {view === 'account' && popout === null && !adminRequested ? (
        <AccountView />
      ) : session.tenantId === null ? (
        <p className="notice">Choose a tenant to see its alerts.</p>
      ) : adminRequested ? (
        <AdminView tenantId={session.tenantId} role={role} />
      ) : popout === 'map' ? (
        <MapView tenantId={session.tenantId} role={role} onOpenTrend={openTrendWindow} />
      ) : popout === 'trends' ? (
        <TrendView seriesIds={trendSeries} live={liveTelemetry} />
      ) : view === 'incidents' ? (
        <IncidentsView session={session} />
      ) : view === 'handover' ? (
        <HandoverView tenantId={session.tenantId} />
      ) : view === 'dmas' ? (
        <DmaView tenantId={session.tenantId} />
      ) : view === 'alarm-management' ? (
        <AlarmManagementView tenantId={session.tenantId} />
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
            assets={assets}
            zones={zones.data}
            role={role}
            tenantId={session.tenantId}
          />
        </>
      )}
    </div>
  );
}

export function App() {
  useSessionRefresh();
  const session = useSessionStore((state) => state.session);
  // A session that still owes a sign-in step opens nothing else (and the server would refuse it anyway).
  if (session?.user.pendingStep) return <SignInSteps session={session} step={session.user.pendingStep} />;
  return session ? (
    <ConsoleShell
      key={`${session.serverUrl} ${session.user.id} ${session.tenantId ?? ''}`}
      session={session}
    />
  ) : (
    <LoginScreen />
  );
}
