import { can, type Role } from '@tidewatch/shared';
import { useState } from 'react';
import { AssetImport } from './asset-import.tsx';
import { ZoneAvailabilityAdmin } from './availability-view.tsx';
import { AuditLogView } from './audit-log-view.tsx';
import { DevicesAdmin } from './devices-admin.tsx';
import { EscalationAdmin } from './escalation-admin.tsx';
import { LorawanApplicationsAdmin } from './lorawan-applications-admin.tsx';
import { SecuritySettingsAdmin } from './security-settings-admin.tsx';
import { UsersAdmin } from './users-admin.tsx';
import './admin.css';

type AdminTab = 'network' | 'users' | 'escalation' | 'security' | 'audit';

const tabLabels: Readonly<Record<AdminTab, string>> = {
  network: 'Devices and assets',
  users: 'Users',
  escalation: 'Escalation and alarms',
  security: 'Sign-in security',
  audit: 'Audit log',
};

/** The tabs a role sees. Devices and the asset import share one: both are the network an admin wires up. */
export function adminTabs(role: Role): AdminTab[] {
  const tabs: AdminTab[] = [];
  if (can(role, 'device:write') || can(role, 'asset:write')) tabs.push('network');
  if (can(role, 'user:read')) tabs.push('users');
  if (can(role, 'alert_rule:write')) tabs.push('escalation');
  if (can(role, 'security_settings:manage')) tabs.push('security');
  if (can(role, 'audit:read')) tabs.push('audit');
  return tabs;
}

/**
 * Tenant administration: devices and their secrets, assets from GeoJSON, users and roles, sign-in security, the
 * audit log.
 */
export function AdminView({ tenantId, role }: { tenantId: string; role: Role }) {
  const tabs = adminTabs(role);
  const [chosen, setChosen] = useState<AdminTab>('network');
  const first = tabs[0];
  if (first === undefined) return <p className="notice">Administration is for tenant admins.</p>;
  const tab = tabs.includes(chosen) ? chosen : first;
  return (
    <div className="admin" data-testid="admin-view">
      <div className="admin__tabs" role="tablist" aria-label="Administration">
        {tabs.map((entry) => (
          <button
            key={entry}
            id={`admin-tab-${entry}`}
            type="button"
            role="tab"
            aria-selected={entry === tab}
            aria-controls={`admin-panel-${entry}`}
            className={`console-nav__tab${entry === tab ? ' console-nav__tab--current' : ''}`}
            onClick={() => {
              setChosen(entry);
            }}
          >
            {tabLabels[entry]}
          </button>
        ))}
      </div>
      <div
        id={`admin-panel-${tab}`}
        role="tabpanel"
        aria-labelledby={`admin-tab-${tab}`}
        className="admin__panel"
      >
        {tab === 'network' ? (
          <>
            {can(role, 'device:write') ? <DevicesAdmin tenantId={tenantId} /> : null}
            {can(role, 'integration:write') ? <LorawanApplicationsAdmin tenantId={tenantId} /> : null}
            {can(role, 'asset:write') ? <AssetImport /> : null}
            {can(role, 'device:read') ? <ZoneAvailabilityAdmin tenantId={tenantId} /> : null}
          </>
        ) : tab === 'users' ? (
          <UsersAdmin tenantId={tenantId} canWrite={can(role, 'user:write')} />
        ) : tab === 'escalation' ? (
          <EscalationAdmin tenantId={tenantId} canSetPhones={can(role, 'user:write')} />
        ) : tab === 'security' ? (
          <SecuritySettingsAdmin tenantId={tenantId} />
        ) : (
          <AuditLogView tenantId={tenantId} />
        )}
      </div>
    </div>
  );
}
