import { useMutation } from '@tanstack/react-query';
import type { Me, SignInStep } from '@tidewatch/shared';
import { useState } from 'react';
import { ProblemNotice } from '../admin/problem-notice.tsx';
import { signOut } from '../session/auth-api.ts';
import type { Session } from '../session/session.ts';
import { useSessionStore } from '../session/session-store.ts';
import { giveSecondFactor } from './account-api.ts';
import { PasswordChangeForm } from './password-change-form.tsx';
import { TotpSetup } from './totp-setup.tsx';

const titles: Readonly<Record<SignInStep, string>> = {
  second_factor: 'Two-step verification',
  password_change: 'Choose your password',
  second_factor_enrolment: 'Set up two-step verification',
};

function SecondFactorStep({ onPassed }: { onPassed: (me: Me) => void }) {
  const [recovery, setRecovery] = useState(false);
  const [answer, setAnswer] = useState('');
  const give = useMutation({
    mutationFn: () => giveSecondFactor(recovery ? { recoveryCode: answer.trim() } : { code: answer }),
    onSuccess: onPassed,
  });
  return (
    <form
      className="account__form"
      aria-label="Second factor"
      onSubmit={(event) => {
        event.preventDefault();
        give.mutate();
      }}
    >
      <label className="field">
        <span>{recovery ? 'Recovery code' : 'Code from your authenticator app'}</span>
        {recovery ? (
          <input
            autoComplete="off"
            spellCheck={false}
            required
            value={answer}
            onChange={(event) => {
              setAnswer(event.target.value);
            }}
          />
        ) : (
          <input
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="\d{6}"
            maxLength={6}
            required
            autoFocus
            value={answer}
            onChange={(event) => {
              setAnswer(event.target.value.replace(/\D/g, ''));
            }}
          />
        )}
      </label>
      {give.isError ? (
        <ProblemNotice error={give.error} fieldLabels={{ code: 'Code', recoveryCode: 'Recovery code' }} />
      ) : null}
      <button type="submit" className="button button--primary" disabled={give.isPending}>
        Verify
      </button>
      <button
        type="button"
        className="button button--link"
        onClick={() => {
          setRecovery(!recovery);
          setAnswer('');
          give.reset();
        }}
      >
        {recovery ? 'Use the authenticator app' : 'Use a recovery code instead'}
      </button>
    </form>
  );
}

/**
 * What the session still owes after the password: the second factor, the user's own password in place of a
 * temporary one, or setting up a second factor the organisation requires. Nothing else of the console opens
 * until it is done (the server refuses it too).
 */
export function SignInSteps({ session, step }: { session: Session; step: SignInStep }) {
  const userChanged = useSessionStore((state) => state.userChanged);
  return (
    <main className="login">
      <section className="login__form" aria-labelledby="step-title" data-testid={`sign-in-step-${step}`}>
        <h1 id="step-title" className="login__title">
          {titles[step]}
        </h1>
        <p className="login__subtitle">{session.user.email}</p>
        {step === 'second_factor' ? <SecondFactorStep onPassed={userChanged} /> : null}
        {step === 'password_change' ? (
          <>
            <p className="login__notice">
              An administrator set your password. Choose one only you know before you continue.
            </p>
            <PasswordChangeForm
              currentLabel="Password you were given"
              submitLabel="Save and continue"
              onChanged={userChanged}
            />
          </>
        ) : null}
        {step === 'second_factor_enrolment' ? (
          <>
            <p className="login__notice">
              Your organisation requires two-step verification for your role. Set it up to continue.
            </p>
            <TotpSetup
              onDone={(result) => {
                userChanged(result.user);
              }}
            />
          </>
        ) : null}
        <button type="button" className="button" onClick={() => void signOut()}>
          Cancel and sign out
        </button>
      </section>
    </main>
  );
}
