import type { ReactNode } from 'react';

/** A modal over the console; Esc (the console's key handler) closes it. */
export function Dialog({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="dialog-backdrop">
      <div role="dialog" aria-modal="true" aria-label={title} className="dialog">
        <h2 className="dialog__title">{title}</h2>
        {children}
      </div>
    </div>
  );
}

export function DialogActions({
  onCancel,
  submitLabel,
  busy,
  disabled = false,
}: {
  onCancel: () => void;
  submitLabel: string;
  busy: boolean;
  disabled?: boolean;
}) {
  return (
    <div className="dialog__actions">
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="button button--primary" disabled={busy || disabled}>
        {submitLabel}
      </button>
    </div>
  );
}
