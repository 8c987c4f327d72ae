import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { SignInSteps } from '../account/sign-in-steps.tsx';
import { LoginScreen } from '../components/login-screen.tsx';
import { signOut } from '../session/auth-api.ts';
import type { Session } from '../session/session.ts';
import { useSessionStore } from '../session/session-store.ts';
import { useSessionRefresh } from '../session/use-session-refresh.ts';
import { FieldAlertList, FieldAlertScreen } from './field-alerts.tsx';
import { FieldAssetScreen } from './field-asset.tsx';
import { FieldIncidentList, FieldIncidentScreen } from './field-incidents.tsx';
import { FieldNearby } from './field-nearby.tsx';
import { routeHref, useFieldRoute, type FieldRoute } from './field-route.ts';
import { startQueueSync, useQueueStore } from './field-sync.ts';
import { QueuePanel } from './queue-panel.tsx';

const tabs = [
  { screen: 'alerts', label: 'Alerts' },
  { screen: 'incidents', label: 'Incidents' },
  { screen: 'nearby', label: 'Nearby' },
  { screen: 'queue', label: 'Queue' },
] as const;

function tabOf(route: FieldRoute): string {
  if (route.screen === 'alert') return 'alerts';
  if (route.screen === 'incident') return 'incidents';
  if (route.screen === 'asset') return 'nearby';
  return route.screen;
}

function FieldScreen({ route, session }: { route: FieldRoute; session: Session }) {
  const role = session.user.role;
  switch (route.screen) {
    case 'alerts':
      return <FieldAlertList />;
    case 'incidents':
      return <FieldIncidentList userId={session.user.id} />;
    case 'nearby':
      return <FieldNearby />;
    case 'queue':
      return <QueuePanel />;
    case 'alert':
      return <FieldAlertScreen id={route.id} role={role} />;
    case 'incident':
      return <FieldIncidentScreen id={route.id} role={role} userId={session.user.id} />;
    case 'asset':
      return <FieldAssetScreen id={route.id} role={role} />;
  }
}

function FieldShell({ session }: { session: Session }) {
  const route = useFieldRoute();
  const queryClient = useQueryClient();
  const waiting = useQueueStore((state) => state.actions.length);
  const online = useQueueStore((state) => state.online);
  const appliedAt = useQueueStore((state) => state.appliedAt);
  useEffect(() => startQueueSync(), []);
  useEffect(() => {
    // What a queued action changed on the server is read again.
    if (appliedAt > 0) void queryClient.invalidateQueries({ queryKey: ['field'] });
  }, [appliedAt, queryClient]);
  const current = tabOf(route);
  return (
    <div className="field-shell">
      <header className="field-header">
        <strong>≋ Tidewatch field</strong>
        <span className={online ? 'field-online' : 'field-offline'} data-testid="connection">
          {online ? 'Online' : 'Offline'}
        </span>
        <button type="button" className="button button--quiet" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main className="field-main">
        <FieldScreen route={route} session={session} />
      </main>
      <nav className="field-tabs" aria-label="Field app">
        {tabs.map((tab) => (
          <a
            key={tab.screen}
            href={routeHref({ screen: tab.screen })}
            aria-current={current === tab.screen ? 'page' : undefined}
          >
            {tab.label}
            {tab.screen === 'queue' && waiting > 0 ? (
              <span className="field-badge" data-testid="queue-badge">
                {waiting}
              </span>
            ) : null}
          </a>
        ))}
      </nav>
    </div>
  );
}

/** The field app: the console's sign-in and session, phone-sized screens, and the offline queue. */
export function FieldApp() {
  useSessionRefresh();
  const session = useSessionStore((state) => state.session);
  if (session?.user.pendingStep) return <SignInSteps session={session} step={session.user.pendingStep} />;
  return session ? (
    <FieldShell key={`${session.serverUrl} ${session.user.id} ${session.tenantId ?? ''}`} session={session} />
  ) : (
    <LoginScreen />
  );
}
