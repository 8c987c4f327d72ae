import { can, type Role } from '@tidewatch/shared';
import { AssetImport } from './asset-import.tsx';
import { DevicesAdmin } from './devices-admin.tsx';
import './admin.css';

/** Tenant administration: devices and their secrets, and assets imported from GeoJSON. */
export function AdminView({ tenantId, role }: { tenantId: string; role: Role }) {
  if (!can(role, 'device:write') && !can(role, 'asset:write'))
    return <p className="notice">Administration is for tenant admins.</p>;
  return (
    <div className="admin" data-testid="admin-view">
      {can(role, 'device:write') ? <DevicesAdmin tenantId={tenantId} /> : null}
      {can(role, 'asset:write') ? <AssetImport tenantId={tenantId} /> : null}
    </div>
  );
}
