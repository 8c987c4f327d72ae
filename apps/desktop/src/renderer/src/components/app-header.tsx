import { alertPriorities, can, type Alert, type Role } from '@tidewatch/shared';
import { useEffect, useMemo, useRef } from 'react';
import { priorityCounts } from '../alerts/alert-rows.ts';
import type { Annunciation } from '../alerts/use-annunciator.ts';
import { useConnectionStore } from '../connection/connection-store.ts';
import { desktopApi } from '../desktop/desktop-bridge.ts';
import { useTenants } from '../reference/reference-data.ts';
import { signOut } from '../session/auth-api.ts';
import type { Session } from '../session/session.ts';
import { useSessionStore } from '../session/session-store.ts';
import { useViewStore } from '../shell/view-store.ts';
import { ConsoleNav } from './console-nav.tsx';
import { FloodIndicator } from './flood-indicator.tsx';
import { priorityStyle } from './priority-label.tsx';

const connectionText = { online: 'Online', reconnecting: 'Reconnecting', offline: 'Offline' } as const;

/** Whether any administration screen is open to this role (the admin view shows those it may use). */
function mayAdminister(role: Role): boolean {
  return (
    can(role, 'device:write') ||
    can(role, 'asset:write') ||
    can(role, 'user:read') ||
    can(role, 'audit:read') ||
    can(role, 'alert_rule:write')
  );
}

/** Opens the map or the administration beside the console: a window of the app, or a browser tab. */
function openScreen(kind: 'map' | 'admin'): void {
  const desktop = desktopApi();
  if (desktop) void desktop.openPopout(kind);
  else window.open(`?view=${kind}`, `tidewatch-${kind}`);
}

function TenantName({ session }: { session: Session }) {
  const superAdmin = session.user.role === 'super_admin';
  const tenants = useTenants(true);
  const chooseTenant = useSessionStore((state) => state.chooseTenant);
  if (superAdmin) {
    return (
      <label className="header__tenant">
        <span className="visually-hidden">Tenant</span>
        <select
          value={session.tenantId ?? ''}
          onChange={(event) => {
            chooseTenant(event.target.value);
          }}
        >
          <option value="" disabled>
            Choose a tenant…
          </option>
          {(tenants.data ?? []).map((tenant) => (
            <option key={tenant.id} value={tenant.id}>
              {tenant.name}
            </option>
          ))}
        </select>
      </label>
    );
  }
  const name = tenants.data?.find((tenant) => tenant.id === session.tenantId)?.name;
  return <span className="header__tenant">{name ?? '…'}</span>;
}

function PriorityCounts({ alerts }: { alerts: readonly Alert[] }) {
  const counts = useMemo(() => priorityCounts(alerts), [alerts]);
  return (
    <ul className="header__counts" aria-label="Open alerts by priority">
      {alertPriorities.map((priority) => {
        const { standing, unacknowledged } = counts[priority];
        const { icon, label } = priorityStyle[priority];
        return (
          <li
            key={priority}
            className={`count count--${priority}${unacknowledged > 0 ? ' count--waiting' : ''}`}
            title={`${label}: ${standing} open, ${unacknowledged} unacknowledged`}
          >
            <span aria-hidden="true">{icon}</span>
            <span className="count__number">{standing}</span>
            <span className="count__label">{label}</span>
            {unacknowledged > 0 ? (
              <span className="count__unack">
                {unacknowledged}
                <span className="count__unack-word"> unack.</span>
              </span>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

/** Stops the alarm sound for what sounds now, in every window; an alert raised later sounds again. */
function SilenceButton({ annunciation }: { annunciation: Annunciation }) {
  const count = annunciation.sounding.length;
  const silence = useRef(annunciation.silence);
  silence.current = annunciation.silence;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!event.altKey || event.code !== 'KeyS') return;
      event.preventDefault();
      silence.current();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
    };
  }, []);
  return (
    <button
      type="button"
      className={`button silence-button${count > 0 ? ' silence-button--sounding' : ''}`}
      disabled={count === 0}
      aria-keyshortcuts="Alt+S"
      title={
        count > 0
          ? `Silence the alarm sound for ${String(count)} unacknowledged alert${count === 1 ? '' : 's'} (Alt+S)`
          : 'No alarm is sounding'
      }
      onClick={annunciation.silence}
    >
      Silence{count > 0 ? ` (${String(count)})` : ''}
    </button>
  );
}

export function AppHeader({
  session,
  alerts,
  popout,
  annunciation,
}: {
  session: Session;
  alerts: readonly Alert[];
  popout: boolean;
  annunciation: Annunciation;
}) {
  const status = useConnectionStore((state) => state.status);
  const view = useViewStore((state) => state.view);
  const show = useViewStore((state) => state.show);
  const desktop = desktopApi();
  return (
    <header className="header">
      <span className="header__brand">
        <span aria-hidden="true" className="brand-mark">
          ≋
        </span>{' '}
        <span className="header__brand-name">Tidewatch</span>
      </span>
      <TenantName session={session} />
      {popout ? null : <ConsoleNav role={session.user.role} />}
      <PriorityCounts alerts={alerts} />
      <FloodIndicator tenantId={session.tenantId} />
      <SilenceButton annunciation={annunciation} />
      <span className={`connection connection--${status}`} role="status" aria-live="polite">
        <span aria-hidden="true" className="connection__dot" />
        <span className="connection__text">{connectionText[status]}</span>
      </span>
      {desktop && !popout ? (
        <button type="button" className="button" onClick={() => void desktop.openPopout('alerts')}>
          Pop out alerts
        </button>
      ) : null}
      {popout ? null : (
        <button
          type="button"
          className="button"
          onClick={() => {
            openScreen('map');
          }}
        >
          Map
        </button>
      )}
      {popout || !mayAdminister(session.user.role) ? null : (
        <button
          type="button"
          className="button"
          onClick={() => {
            openScreen('admin');
          }}
        >
          Administration
        </button>
      )}
      {popout ? (
        <span
          className="header__user"
          title={`${session.user.email} (${session.user.role.replace('_', ' ')})`}
        >
          {session.user.displayName}{' '}
          <span className="header__role">{session.user.role.replace('_', ' ')}</span>
        </span>
      ) : (
        <button
          type="button"
          className="button header__user"
          title={`${session.user.email} (${session.user.role.replace('_', ' ')}): password, two-step verification and sessions`}
          aria-label="Account"
          aria-current={view === 'account' ? 'page' : undefined}
          onClick={() => {
            show('account');
          }}
        >
          {session.user.displayName}{' '}
          <span className="header__role">{session.user.role.replace('_', ' ')}</span>
        </button>
      )}
      {popout ? null : (
        <button type="button" className="button" onClick={() => void signOut()}>
          Sign out
        </button>
      )}
    </header>
  );
}
