import { useEffect, useState, type SyntheticEvent } from 'react';
import { isSafeServerOrigin, UNSAFE_SERVER_MESSAGE } from '../../../common/server-address.ts';
import { describeError } from '../api/api-error.ts';
import { desktopApi } from '../desktop/desktop-bridge.ts';
import { normalizeServerUrl, signIn } from '../session/auth-api.ts';
import { useSessionStore } from '../session/session-store.ts';

/** Kept across the reload that follows a new server address in the desktop app. */
const PENDING_EMAIL_KEY = 'tidewatch.login-email';

type LoginStatus = { kind: 'idle' } | { kind: 'busy'; what: string } | { kind: 'failed'; message: string };

export function LoginScreen() {
  const signedOutReason = useSessionStore((state) => state.signedOutReason);
  const desktop = desktopApi();
  const [server, setServer] = useState(desktop ? '' : window.location.origin);
  const [email, setEmail] = useState(() => window.sessionStorage.getItem(PENDING_EMAIL_KEY) ?? '');
  const [password, setPassword] = useState('');
  const [organisation, setOrganisation] = useState('');
  const [status, setStatus] = useState<LoginStatus>({ kind: 'idle' });

  useEffect(() => {
    if (!desktop) return;
    desktop
      .getServerUrl()
      .then((url) => {
        if (url) setServer(url);
      })
      .catch(() => undefined);
  }, [desktop]);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    let serverUrl: string;
    try {
      serverUrl = normalizeServerUrl(server);
    } catch {
      setStatus({
        kind: 'failed',
        message: 'The server address is not valid, e.g. https://scada.example:8443',
      });
      return;
    }
    if (desktop && !isSafeServerOrigin(new URL(serverUrl))) {
      setStatus({ kind: 'failed', message: UNSAFE_SERVER_MESSAGE });
      return;
    }
    try {
      if (desktop && serverUrl !== (await desktop.getServerUrl())) {
        // The window reloads with a security policy that admits the new server; the e-mail survives it.
        setStatus({ kind: 'busy', what: 'Switching server…' });
        window.sessionStorage.setItem(PENDING_EMAIL_KEY, email);
        await desktop.setServerUrl(serverUrl);
        return;
      }
      setStatus({ kind: 'busy', what: 'Signing in…' });
      const tenant = organisation.trim().toLowerCase();
      await signIn(serverUrl, { email: email.trim(), password, ...(tenant ? { tenant } : {}) });
      window.sessionStorage.removeItem(PENDING_EMAIL_KEY);
    } catch (error) {
      setStatus({ kind: 'failed', message: describeError(error) });
    }
  };

  return (
    <main className="login">
      <form className="login__form" onSubmit={(event) => void submit(event)} aria-labelledby="login-title">
        <h1 id="login-title" className="login__title">
          <span aria-hidden="true" className="brand-mark">
            ≋
          </span>{' '}
          Tidewatch
        </h1>
        <p className="login__subtitle">Control room sign-in</p>
        {signedOutReason && status.kind === 'idle' ? (
          <p className="login__notice">{signedOutReason}</p>
        ) : null}
        <label className="field">
          <span>Server</span>
          <input
            value={server}
            onChange={(event) => {
              setServer(event.target.value);
            }}
            placeholder="https://scada.example:8443"
            autoComplete="url"
            required
            spellCheck={false}
          />
        </label>
        <label className="field">
          <span>E-mail</span>
          <input
            type="email"
            value={email}
            onChange={(event) => {
              setEmail(event.target.value);
            }}
            autoComplete="username"
            required
            autoFocus
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            value={password}
            onChange={(event) => {
              setPassword(event.target.value);
            }}
            autoComplete="current-password"
            required
          />
        </label>
        <details className="login__more" open={organisation !== ''}>
          <summary>My e-mail is in several organisations</summary>
          <label className="field">
            <span>Organisation</span>
            <input
              value={organisation}
              onChange={(event) => {
                setOrganisation(event.target.value);
              }}
              placeholder="e.g. pune-east"
              autoComplete="organization"
              spellCheck={false}
            />
          </label>
        </details>
        {status.kind === 'failed' ? (
          <p role="alert" className="login__error">
            {status.message}
          </p>
        ) : null}
        <button type="submit" className="button button--primary" disabled={status.kind === 'busy'}>
          {status.kind === 'busy' ? status.what : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
