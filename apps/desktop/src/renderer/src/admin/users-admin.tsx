import { useMutation, useQueryClient } from '@tanstack/react-query';
import { roles, type Role, type User } from '@tidewatch/shared';
import { useState } from 'react';
import { Dialog, DialogActions } from '../components/dialog.tsx';
import { formatDateTime } from '../components/format.ts';
import { useZoneNames } from '../reference/reference-data.ts';
import { useSessionStore } from '../session/session-store.ts';
import {
  createUser,
  endUserSessions,
  resetUserTotp,
  updateUser,
  usersKey,
  useUsers,
  type NewUser,
  type UserChange,
} from './admin-queries.ts';
import { ProblemNotice } from './problem-notice.tsx';

type TenantRole = Exclude<Role, 'super_admin'>;
const tenantRoles = roles.filter((role): role is TenantRole => role !== 'super_admin');

export const roleLabels: Readonly<Record<Role, string>> = {
  viewer: 'Viewer',
  operator: 'Operator',
  maintenance: 'Maintenance',
  supervisor: 'Supervisor',
  tenant_admin: 'Tenant admin',
  super_admin: 'Platform admin',
};

/** The labels the forms show, for the fields a problem+json names. */
const userFieldLabels = {
  email: 'E-mail',
  displayName: 'Name',
  role: 'Role',
  password: 'Password',
  zoneIds: 'Zones',
  disabled: 'State',
};

const PASSWORD_MIN = 12;

type Zones = ReadonlyMap<string, string>;

function zoneList(zones: Zones | undefined, zoneIds: readonly string[]): string {
  if (zoneIds.length === 0) return 'All zones';
  return zoneIds.map((id) => zones?.get(id) ?? id).join(', ');
}

function userState(user: User): { key: 'active' | 'disabled'; text: string } {
  if (user.disabled) return { key: 'disabled', text: 'Disabled' };
  const notes = [
    ...(user.mustChangePassword ? ['temporary password'] : []),
    ...(user.totpEnabled ? ['2-step'] : []),
  ];
  return { key: 'active', text: ['Active', ...notes].join(' · ') };
}

function RoleSelect({
  value,
  onChange,
  disabled = false,
}: {
  value: TenantRole;
  onChange: (role: TenantRole) => void;
  disabled?: boolean;
}) {
  return (
    <label>
      Role{' '}
      <select
        value={value}
        disabled={disabled}
        onChange={(event) => {
          const role = tenantRoles.find((entry) => entry === event.target.value);
          if (role) onChange(role);
        }}
      >
        {tenantRoles.map((role) => (
          <option key={role} value={role}>
            {roleLabels[role]}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Which zones a user is limited to; none ticked means the whole tenant. */
function ZonePicker({
  zones,
  selected,
  onChange,
}: {
  zones: Zones | undefined;
  selected: ReadonlySet<string>;
  onChange: (next: ReadonlySet<string>) => void;
}) {
  const sorted = [...(zones ?? new Map<string, string>())].sort(([, a], [, b]) => a.localeCompare(b));
  return (
    <fieldset className="admin__zones">
      <legend>
        Zone limits {selected.size === 0 ? <span className="admin__muted">(all zones)</span> : null}
      </legend>
      {sorted.length === 0 ? <span className="admin__muted">No zones in this tenant</span> : null}
      {sorted.map(([id, name]) => (
        <label key={id}>
          <input
            type="checkbox"
            checked={selected.has(id)}
            onChange={(event) => {
              const next = new Set(selected);
              if (event.target.checked) next.add(id);
              else next.delete(id);
              onChange(next);
            }}
          />{' '}
          {name}
        </label>
      ))}
    </fieldset>
  );
}

const emptyUser = { email: '', displayName: '', role: 'operator' as TenantRole, password: '' };

function NewUserForm({ tenantId, zones }: { tenantId: string; zones: Zones | undefined }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(emptyUser);
  const [zoneIds, setZoneIds] = useState<ReadonlySet<string>>(new Set());
  const create = useMutation({
    mutationFn: (user: NewUser) => createUser(user),
    onSuccess: () => {
      setDraft(emptyUser);
      setZoneIds(new Set());
      void queryClient.invalidateQueries({ queryKey: usersKey(tenantId) });
    },
  });
  const text = (field: 'email' | 'displayName' | 'password') => ({
    value: draft[field],
    onChange: (event: { target: { value: string } }) => {
      setDraft({ ...draft, [field]: event.target.value });
      // A refusal stays up until the admin starts to correct it.
      if (create.isError) create.reset();
    },
  });

  return (
    <form
      className="admin__form admin__form--user"
      aria-label="New user"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate({
          email: draft.email.trim(),
          displayName: draft.displayName.trim(),
          role: draft.role,
          password: draft.password,
          zoneIds: [...zoneIds],
        });
      }}
    >
      <label>
        E-mail <input type="email" required maxLength={320} autoComplete="off" {...text('email')} />
      </label>
      <label>
        Name <input required maxLength={200} autoComplete="off" {...text('displayName')} />
      </label>
      <RoleSelect
        value={draft.role}
        onChange={(role) => {
          setDraft({ ...draft, role });
        }}
      />
      <label>
        Temporary password{' '}
        <input
          type="password"
          required
          minLength={PASSWORD_MIN}
          maxLength={1024}
          autoComplete="new-password"
          {...text('password')}
        />
      </label>
      <ZonePicker zones={zones} selected={zoneIds} onChange={setZoneIds} />
      <button type="submit" className="button button--primary" disabled={create.isPending}>
        Create user
      </button>
      {create.isError ? (
        <ProblemNotice error={create.error} fieldLabels={userFieldLabels} testId="user-create-error" />
      ) : null}
      {create.isSuccess ? (
        <p role="status" className="admin__muted" data-testid="user-created">
          Created {create.data.email}. Give them the temporary password in person or by phone; they choose
          their own at the first sign-in.
        </p>
      ) : null}
    </form>
  );
}

/** Role, zone limits and (optionally) a new password for one user; only what changed is sent. */
function EditUserDialog({
  tenantId,
  user,
  zones,
  isSelf,
  onClose,
}: {
  tenantId: string;
  user: User;
  zones: Zones | undefined;
  isSelf: boolean;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [role, setRole] = useState<TenantRole>(user.role === 'super_admin' ? 'tenant_admin' : user.role);
  const [zoneIds, setZoneIds] = useState<ReadonlySet<string>>(new Set(user.zoneIds));
  const [password, setPassword] = useState('');
  const save = useMutation({
    mutationFn: (change: UserChange) => updateUser(user.id, change),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: usersKey(tenantId) });
      onClose();
    },
  });
  const zonesChanged = zoneIds.size !== user.zoneIds.length || user.zoneIds.some((id) => !zoneIds.has(id));
  const change: UserChange = {
    ...(role !== user.role ? { role } : {}),
    ...(zonesChanged ? { zoneIds: [...zoneIds] } : {}),
    ...(password !== '' ? { password } : {}),
  };

  return (
    <Dialog title={`Edit ${user.displayName}`}>
      <form
        className="admin__dialog-form"
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate(change);
        }}
      >
        <p className="admin__muted">{user.email}</p>
        <RoleSelect value={role} onChange={setRole} disabled={isSelf} />
        {isSelf ? <p className="admin__muted">You cannot change your own role.</p> : null}
        <ZonePicker zones={zones} selected={zoneIds} onChange={setZoneIds} />
        <label>
          Temporary password{' '}
          <input
            type="password"
            minLength={PASSWORD_MIN}
            maxLength={1024}
            autoComplete="new-password"
            placeholder="unchanged"
            value={password}
            onChange={(event) => {
              setPassword(event.target.value);
            }}
          />
        </label>
        {password !== '' ? (
          <p className="admin__muted">
            {user.displayName} is signed out everywhere now and chooses their own password at the next
            sign-in.
          </p>
        ) : null}
        {save.isError ? (
          <ProblemNotice error={save.error} fieldLabels={userFieldLabels} testId="user-edit-error" />
        ) : null}
        <DialogActions
          onCancel={onClose}
          submitLabel="Save"
          busy={save.isPending}
          disabled={Object.keys(change).length === 0}
        />
      </form>
    </Dialog>
  );
}

/**
 * The tenant's users: create them with a role, an initial password and optional zone limits; change their role
 * and zones; disable them (signed out at once) or enable them again.
 */
export function UsersAdmin({ tenantId, canWrite }: { tenantId: string; canWrite: boolean }) {
  const users = useUsers(tenantId);
  const zones = useZoneNames(tenantId);
  const selfId = useSessionStore((state) => state.session?.user.id);
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<User | null>(null);
  const toggle = useMutation({
    mutationFn: (user: User) => updateUser(user.id, { disabled: !user.disabled }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: usersKey(tenantId) });
    },
  });
  const [notice, setNotice] = useState<string | null>(null);
  const endSessions = useMutation({
    mutationFn: async (user: User) => ({ user, ended: (await endUserSessions(user.id)).ended }),
    onSuccess: ({ user, ended }) => {
      setNotice(`${user.displayName}: ${String(ended)} sessions ended.`);
    },
  });
  const resetTotp = useMutation({
    mutationFn: async (user: User) => {
      await resetUserTotp(user.id);
      return user;
    },
    onSuccess: (user) => {
      setNotice(`${user.displayName}: two-step verification removed; their sessions ended.`);
      void queryClient.invalidateQueries({ queryKey: usersKey(tenantId) });
    },
  });
  const actionError = toggle.error ?? endSessions.error ?? resetTotp.error;
  const sorted = [...(users.data ?? [])].sort((a, b) => a.displayName.localeCompare(b.displayName));

  return (
    <section className="admin__section" aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      {canWrite ? <NewUserForm tenantId={tenantId} zones={zones.data} /> : null}
      {actionError ? (
        <ProblemNotice error={actionError} fieldLabels={userFieldLabels} testId="user-state-error" />
      ) : null}
      {notice ? (
        <p role="status" className="admin__muted" data-testid="user-action-done">
          {notice}
        </p>
      ) : null}
      {users.error ? <ProblemNotice error={users.error} /> : null}
      <table className="admin__table" aria-label="Users">
        <thead>
          <tr>
            <th>Name</th>
            <th>E-mail</th>
            <th>Role</th>
            <th>Zone limits</th>
            <th>State</th>
            <th>Last sign-in</th>
            {canWrite ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {users.isPending ? (
            <tr>
              <td colSpan={7} className="admin__muted">
                Loading users…
              </td>
            </tr>
          ) : null}
          {sorted.map((user) => {
            const state = userState(user);
            const isSelf = user.id === selfId;
            return (
              <tr
                key={user.id}
                data-user-id={user.id}
                data-user-email={user.email}
                data-user-role={user.role}
                data-user-state={state.key}
              >
                <td>
                  {user.displayName}
                  {isSelf ? <span className="admin__muted"> (you)</span> : null}
                </td>
                <td>{user.email}</td>
                <td>{roleLabels[user.role]}</td>
                <td>{zoneList(zones.data, user.zoneIds)}</td>
                <td className={`admin__state admin__state--${state.key}`}>{state.text}</td>
                <td>{user.lastLoginAt ? formatDateTime(user.lastLoginAt) : 'Never'}</td>
                {canWrite ? (
                  <td className="admin__actions">
                    <button
                      type="button"
                      className="button"
                      onClick={() => {
                        setEditing(user);
                      }}
                    >
                      Edit
                    </button>{' '}
                    <button
                      type="button"
                      className="button"
                      disabled={isSelf || toggle.isPending}
                      title={isSelf ? 'You cannot disable yourself' : undefined}
                      onClick={() => {
                        if (
                          user.disabled ||
                          window.confirm(
                            `Disable ${user.displayName}? They are signed out at once and cannot sign in.`,
                          )
                        )
                          toggle.mutate(user);
                      }}
                    >
                      {user.disabled ? 'Enable' : 'Disable'}
                    </button>{' '}
                    <button
                      type="button"
                      className="button"
                      disabled={endSessions.isPending}
                      onClick={() => {
                        if (window.confirm(`Sign ${user.displayName} out everywhere?`))
                          endSessions.mutate(user);
                      }}
                    >
                      End sessions
                    </button>
                    {user.totpEnabled ? (
                      <>
                        {' '}
                        <button
                          type="button"
                          className="button"
                          disabled={resetTotp.isPending}
                          onClick={() => {
                            if (
                              window.confirm(
                                `Remove ${user.displayName}'s authenticator (a lost phone)? Their sessions end.`,
                              )
                            )
                              resetTotp.mutate(user);
                          }}
                        >
                          Reset 2-step
                        </button>
                      </>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      {editing ? (
        <EditUserDialog
          tenantId={tenantId}
          user={editing}
          zones={zones.data}
          isSelf={editing.id === selfId}
          onClose={() => {
            setEditing(null);
          }}
        />
      ) : null}
    </section>
  );
}
