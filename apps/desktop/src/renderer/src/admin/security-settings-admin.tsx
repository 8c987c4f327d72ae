import { useMutation, useQueryClient } from '@tanstack/react-query';
import { tenantRoles, type SecuritySettings } from '@tidewatch/shared';
import { useState } from 'react';
import { securitySettingsKey, updateSecuritySettings, useSecuritySettings } from './admin-queries.ts';
import { ProblemNotice } from './problem-notice.tsx';
import { roleLabels } from './users-admin.tsx';

type TenantRole = (typeof tenantRoles)[number];
type Minutes = SecuritySettings['idleTimeoutMinutes'];

function SettingsForm({ tenantId, settings }: { tenantId: string; settings: SecuritySettings }) {
  const queryClient = useQueryClient();
  const [required, setRequired] = useState<ReadonlySet<TenantRole>>(new Set(settings.totpRequiredRoles));
  const [minutes, setMinutes] = useState<Minutes>(settings.idleTimeoutMinutes);
  const save = useMutation({
    mutationFn: () =>
      updateSecuritySettings({ totpRequiredRoles: [...required], idleTimeoutMinutes: minutes }),
    onSuccess: (saved) => {
      queryClient.setQueryData(securitySettingsKey(tenantId), saved);
    },
  });
  return (
    <form
      className="admin__form admin__form--security"
      aria-label="Sign-in security"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <table className="admin__table" aria-label="Sign-in rules by role">
        <thead>
          <tr>
            <th>Role</th>
            <th>Two-step verification</th>
            <th>Signed out after idle (minutes)</th>
          </tr>
        </thead>
        <tbody>
          {tenantRoles.map((role) => (
            <tr key={role} data-role={role}>
              <td>{roleLabels[role]}</td>
              <td>
                <label>
                  <input
                    type="checkbox"
                    checked={required.has(role)}
                    onChange={(event) => {
                      const next = new Set(required);
                      if (event.target.checked) next.add(role);
                      else next.delete(role);
                      setRequired(next);
                    }}
                  />{' '}
                  Required for {roleLabels[role]}
                </label>
              </td>
              <td>
                <input
                  type="number"
                  min={5}
                  max={1440}
                  required
                  aria-label={`Idle minutes for ${roleLabels[role]}`}
                  value={minutes[role]}
                  onChange={(event) => {
                    setMinutes({ ...minutes, [role]: Number(event.target.value) });
                  }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="admin__muted">
        A role that newly requires two-step verification sets it up at its next sign-in. Idle limits apply to
        sessions at once; an operator at the console stays signed in through a shift.
      </p>
      {save.isError ? <ProblemNotice error={save.error} testId="security-settings-error" /> : null}
      <button type="submit" className="button button--primary" disabled={save.isPending}>
        Save
      </button>
      {save.isSuccess ? (
        <p role="status" className="admin__muted" data-testid="security-settings-saved">
          Saved.
        </p>
      ) : null}
    </form>
  );
}

/** The tenant's sign-in rules: which roles must use two-step verification, and each role's idle timeout. */
export function SecuritySettingsAdmin({ tenantId }: { tenantId: string }) {
  const settings = useSecuritySettings(tenantId);
  return (
    <section className="admin__section" aria-labelledby="security-heading">
      <h2 id="security-heading">Sign-in security</h2>
      {settings.error ? <ProblemNotice error={settings.error} /> : null}
      {settings.data ? <SettingsForm tenantId={tenantId} settings={settings.data} /> : null}
    </section>
  );
}
