import { can, type Role } from '@tidewatch/shared';
import { useViewStore, type ConsoleView } from '../shell/view-store.ts';

const labels: Readonly<Record<ConsoleView, string>> = {
  alerts: 'Alerts',
  incidents: 'Incidents',
  handover: 'Handover',
  dmas: 'DMAs',
  'alarm-management': 'Alarm management',
  account: 'Account',
};

/** Which screens a role sees: alarm-management KPIs are for those who tune the alarm system. */
export function visibleViews(role: Role): ConsoleView[] {
  const views: ConsoleView[] = ['alerts'];
  if (can(role, 'incident:read')) views.push('incidents');
  if (can(role, 'alert:read')) views.push('handover');
  if (can(role, 'telemetry:read')) views.push('dmas');
  if (can(role, 'alert_rule:write')) views.push('alarm-management');
  views.push('account');
  return views;
}

export function ConsoleNav({ role }: { role: Role }) {
  const view = useViewStore((state) => state.view);
  const show = useViewStore((state) => state.show);
  return (
    <nav className="console-nav" aria-label="Screens">
      {visibleViews(role)
        .filter((entry) => entry !== 'account')
        .map((entry) => (
          <button
            key={entry}
            type="button"
            className={`console-nav__tab${entry === view ? ' console-nav__tab--current' : ''}`}
            aria-current={entry === view ? 'page' : undefined}
            onClick={() => {
              show(entry);
            }}
          >
            {labels[entry]}
          </button>
        ))}
    </nav>
  );
}
