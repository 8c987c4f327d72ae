import { useMutation } from '@tanstack/react-query';
import type { RecoveryCodes, TotpEnrolment } from '@tidewatch/shared';
import { useState } from 'react';
import { ProblemNotice } from '../admin/problem-notice.tsx';
import { confirmTotpEnrolment, startTotpEnrolment } from './account-api.ts';
import { QrCode } from './qr-code.tsx';

/** The recovery codes, shown once, with what they are for. */
export function RecoveryCodeList({ codes, onDone }: { codes: readonly string[]; onDone: () => void }) {
  return (
    <div className="account__codes" data-testid="recovery-codes">
      <p>
        Keep these recovery codes somewhere safe, apart from your phone. Each signs you in once if the
        authenticator app is lost. They are not shown again.
      </p>
      <ol className="account__code-list">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <button type="button" className="button button--primary" onClick={onDone}>
        I have saved the codes
      </button>
    </div>
  );
}

/**
 * Setting up an authenticator app: a new secret as a QR code (and as text to type), confirmed by the first code
 * the app shows; then the recovery codes. `onDone` runs once the user has seen them.
 */
export function TotpSetup({ onDone }: { onDone: (result: RecoveryCodes) => void }) {
  const [enrolment, setEnrolment] = useState<TotpEnrolment | null>(null);
  const [code, setCode] = useState('');
  const [result, setResult] = useState<RecoveryCodes | null>(null);
  const start = useMutation({
    mutationFn: startTotpEnrolment,
    onSuccess: setEnrolment,
  });
  const confirm = useMutation({
    mutationFn: () => confirmTotpEnrolment(code),
    onSuccess: setResult,
  });

  if (result) {
    return (
      <RecoveryCodeList
        codes={result.recoveryCodes}
        onDone={() => {
          onDone(result);
        }}
      />
    );
  }
  if (!enrolment) {
    return (
      <div className="account__form">
        <p>
          Two-step verification asks for a six-digit code from an authenticator app on your phone after your
          password.
        </p>
        {start.isError ? <ProblemNotice error={start.error} /> : null}
        <button
          type="button"
          className="button button--primary"
          disabled={start.isPending}
          onClick={() => {
            start.mutate();
          }}
        >
          Set up an authenticator app
        </button>
      </div>
    );
  }
  return (
    <form
      className="account__form"
      aria-label="Confirm the authenticator"
      onSubmit={(event) => {
        event.preventDefault();
        confirm.mutate();
      }}
    >
      <p>Scan this code with the authenticator app, then enter the six digits it shows.</p>
      <QrCode text={enrolment.otpauthUri} label="QR code for the authenticator app" />
      <p className="account__hint">
        No camera? Enter this key in the app: <code data-testid="totp-secret">{enrolment.secret}</code>
      </p>
      <label className="field">
        <span>Code from the app</span>
        <input
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="\d{6}"
          maxLength={6}
          required
          value={code}
          onChange={(event) => {
            setCode(event.target.value.replace(/\D/g, ''));
            if (confirm.isError) confirm.reset();
          }}
        />
      </label>
      {confirm.isError ? <ProblemNotice error={confirm.error} fieldLabels={{ code: 'Code' }} /> : null}
      <button type="submit" className="button button--primary" disabled={confirm.isPending}>
        Turn on two-step verification
      </button>
    </form>
  );
}
