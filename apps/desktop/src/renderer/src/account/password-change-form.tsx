import { useMutation } from '@tanstack/react-query';
import type { Me } from '@tidewatch/shared';
import { useState } from 'react';
import { ProblemNotice } from '../admin/problem-notice.tsx';
import { changePassword } from './account-api.ts';

const MIN_LENGTH = 12;
const fieldLabels = { currentPassword: 'Current password', newPassword: 'New password' };

/**
 * Choosing a new password: the current one, the new one twice. The server checks length, common passwords and
 * the user's own name and e-mail, and says which rule a refusal broke.
 */
export function PasswordChangeForm({
  currentLabel = 'Current password',
  submitLabel = 'Change password',
  onChanged,
}: {
  currentLabel?: string;
  submitLabel?: string;
  onChanged: (me: Me) => void;
}) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const change = useMutation({
    mutationFn: () => changePassword(current, next),
    onSuccess: (me) => {
      setCurrent('');
      setNext('');
      setRepeat('');
      onChanged(me);
    },
  });
  const mismatch = repeat !== '' && repeat !== next;
  return (
    <form
      className="account__form"
      aria-label="Change password"
      onSubmit={(event) => {
        event.preventDefault();
        if (!mismatch) change.mutate();
      }}
    >
      <label className="field">
        <span>{currentLabel}</span>
        <input
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(event) => {
            setCurrent(event.target.value);
          }}
        />
      </label>
      <label className="field">
        <span>New password</span>
        <input
          type="password"
          autoComplete="new-password"
          required
          minLength={MIN_LENGTH}
          maxLength={1024}
          value={next}
          onChange={(event) => {
            setNext(event.target.value);
            if (change.isError) change.reset();
          }}
        />
      </label>
      <label className="field">
        <span>New password again</span>
        <input
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onChange={(event) => {
            setRepeat(event.target.value);
          }}
        />
      </label>
      <p className="account__hint">
        At least {MIN_LENGTH} characters; a phrase of a few words is easy to type and hard to guess. Common
        passwords and your own name or e-mail are refused.
      </p>
      {mismatch ? (
        <p role="alert" className="login__error">
          The two new passwords differ.
        </p>
      ) : null}
      {change.isError ? (
        <ProblemNotice error={change.error} fieldLabels={fieldLabels} testId="password-change-error" />
      ) : null}
      <button type="submit" className="button button--primary" disabled={change.isPending || mismatch}>
        {change.isPending ? 'Saving…' : submitLabel}
      </button>
    </form>
  );
}
