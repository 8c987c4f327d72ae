import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { RecoveryCodes, SessionInfo } from '@tidewatch/shared';
import { useState } from 'react';
import { ProblemNotice } from '../admin/problem-notice.tsx';
import { formatDateTime } from '../components/format.ts';
import { useSessionStore } from '../session/session-store.ts';
import {
  accountSecurityKey,
  disableTotp,
  endSession,
  endSessions,
  ownSessionsKey,
  replaceRecoveryCodes,
  useAccountSecurity,
  useOwnSessions,
} from './account-api.ts';
import { PasswordChangeForm } from './password-change-form.tsx';
import { RecoveryCodeList, TotpSetup } from './totp-setup.tsx';
import '../admin/admin.css';
import './account.css';

function PasswordSection() {
  const userChanged = useSessionStore((state) => state.userChanged);
  const queryClient = useQueryClient();
  const [changed, setChanged] = useState(false);
  return (
    <section className="account__section" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <PasswordChangeForm
        onChanged={(me) => {
          setChanged(true);
          userChanged(me);
          void queryClient.invalidateQueries({ queryKey: ownSessionsKey });
        }}
      />
      {changed ? (
        <p role="status" className="account__done" data-testid="password-changed">
          Password changed. Your other sessions were signed out.
        </p>
      ) : null}
    </section>
  );
}

/** Turning two-step verification off: the password and a code (or a recovery code) again. */
function TurnOff({ onDone }: { onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const off = useMutation({ mutationFn: () => disableTotp(password, code.trim()), onSuccess: onDone });
  return (
    <form
      className="account__form"
      aria-label="Turn off two-step verification"
      onSubmit={(event) => {
        event.preventDefault();
        off.mutate();
      }}
    >
      <label className="field">
        <span>Password</span>
        <input
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => {
            setPassword(event.target.value);
          }}
        />
      </label>
      <label className="field">
        <span>Code from the app, or a recovery code</span>
        <input
          autoComplete="one-time-code"
          required
          value={code}
          onChange={(event) => {
            setCode(event.target.value);
          }}
        />
      </label>
      {off.isError ? (
        <ProblemNotice error={off.error} fieldLabels={{ password: 'Password', code: 'Code' }} />
      ) : null}
      <button type="submit" className="button" disabled={off.isPending}>
        Turn off
      </button>
    </form>
  );
}

function NewRecoveryCodes({ onCodes }: { onCodes: (result: RecoveryCodes) => void }) {
  const [password, setPassword] = useState('');
  const make = useMutation({ mutationFn: () => replaceRecoveryCodes(password), onSuccess: onCodes });
  return (
    <form
      className="account__form"
      aria-label="New recovery codes"
      onSubmit={(event) => {
        event.preventDefault();
        make.mutate();
      }}
    >
      <label className="field">
        <span>Password</span>
        <input
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => {
            setPassword(event.target.value);
          }}
        />
      </label>
      {make.isError ? <ProblemNotice error={make.error} fieldLabels={{ password: 'Password' }} /> : null}
      <button type="submit" className="button" disabled={make.isPending}>
        Make new recovery codes
      </button>
    </form>
  );
}

type TwoStepMode =
  { kind: 'view' } | { kind: 'off' } | { kind: 'codes' } | { kind: 'shown'; codes: string[] };

function TwoStepSection() {
  const security = useAccountSecurity();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<TwoStepMode>({ kind: 'view' });
  const refresh = () => {
    setMode({ kind: 'view' });
    void queryClient.invalidateQueries({ queryKey: accountSecurityKey });
  };
  const data = security.data;
  return (
    <section className="account__section" aria-labelledby="two-step-heading" data-testid="two-step">
      <h2 id="two-step-heading">Two-step verification</h2>
      {security.isError ? <ProblemNotice error={security.error} /> : null}
      {data && !data.totpEnabled ? <TotpSetup onDone={refresh} /> : null}
      {data?.totpEnabled ? (
        <>
          <p data-testid="two-step-state">
            On: sign-in asks for a code from your authenticator app. {data.recoveryCodesLeft} recovery codes
            left.
            {data.totpRequired ? ' Your organisation requires it for your role.' : ''}
          </p>
          {mode.kind === 'shown' ? <RecoveryCodeList codes={mode.codes} onDone={refresh} /> : null}
          {mode.kind === 'codes' ? (
            <NewRecoveryCodes
              onCodes={(result) => {
                setMode({ kind: 'shown', codes: result.recoveryCodes });
              }}
            />
          ) : null}
          {mode.kind === 'off' ? <TurnOff onDone={refresh} /> : null}
          {mode.kind === 'view' ? (
            <div className="account__actions">
              <button
                type="button"
                className="button"
                onClick={() => {
                  setMode({ kind: 'codes' });
                }}
              >
                New recovery codes
              </button>
              {data.totpRequired ? null : (
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    setMode({ kind: 'off' });
                  }}
                >
                  Turn off two-step verification
                </button>
              )}
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function sessionLabel(session: SessionInfo): string {
  return session.userAgent ?? 'Unknown device';
}

function SessionsSection() {
  const sessions = useOwnSessions();
  const security = useAccountSecurity();
  const queryClient = useQueryClient();
  const signedOut = useSessionStore((state) => state.signedOut);
  const reload = () => void queryClient.invalidateQueries({ queryKey: ownSessionsKey });
  const endOne = useMutation({ mutationFn: endSession, onSuccess: reload });
  const endOthers = useMutation({ mutationFn: () => endSessions(false), onSuccess: reload });
  const endAll = useMutation({
    mutationFn: () => endSessions(true),
    onSuccess: () => {
      signedOut('You signed out everywhere.');
    },
  });
  const error = endOne.error ?? endOthers.error ?? endAll.error ?? sessions.error;
  const list = sessions.data ?? [];
  return (
    <section className="account__section" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Where you are signed in</h2>
      {security.data ? (
        <p className="account__hint">
          A session ends after {security.data.idleTimeoutMinutes} minutes without you using it (live updates
          on screen do not count).
        </p>
      ) : null}
      {error ? <ProblemNotice error={error} /> : null}
      <table className="admin__table" aria-label="Sessions">
        <thead>
          <tr>
            <th>Device</th>
            <th>Address</th>
            <th>Signed in</th>
            <th>Last active</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((session) => (
            <tr key={session.id} data-session-id={session.id} data-current={session.current}>
              <td>
                {sessionLabel(session)}
                {session.current ? <strong> (this session)</strong> : null}
              </td>
              <td>{session.ip ?? 'unknown'}</td>
              <td>{formatDateTime(session.createdAt)}</td>
              <td>{formatDateTime(session.lastActiveAt)}</td>
              <td>
                {session.current ? null : (
                  <button
                    type="button"
                    className="button"
                    disabled={endOne.isPending}
                    onClick={() => {
                      endOne.mutate(session.id);
                    }}
                  >
                    Sign out
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="account__actions">
        <button
          type="button"
          className="button"
          disabled={endOthers.isPending || list.length < 2}
          onClick={() => {
            endOthers.mutate();
          }}
        >
          Sign out everywhere else
        </button>
        <button
          type="button"
          className="button"
          disabled={endAll.isPending}
          onClick={() => {
            if (window.confirm('Sign out of every session, this one included?')) endAll.mutate();
          }}
        >
          Sign out everywhere
        </button>
      </div>
      {endOthers.isSuccess ? (
        <p role="status" className="account__done">
          Signed out of {endOthers.data.ended} other sessions.
        </p>
      ) : null}
    </section>
  );
}

/** The operator's own account: password, two-step verification, and the sessions they may end. */
export function AccountView() {
  const user = useSessionStore((state) => state.session?.user);
  return (
    <div className="account" data-testid="account-view">
      <h1 className="account__title">
        {user?.displayName} <span className="admin__muted">{user?.email}</span>
      </h1>
      <div className="account__grid">
        <PasswordSection />
        <TwoStepSection />
      </div>
      <SessionsSection />
    </div>
  );
}
