import type { ReactNode } from 'react';

/** Asks before doing something: what will happen, and two buttons. */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel, busy }: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}) {
  return (
    <div className="overlay">
      <div className="dialog" role="dialog" aria-modal="true" aria-label={title} data-testid="confirm">
        <h2>{title}</h2>
        <div>{children}</div>
        <div className="actions">
          <button onClick={onConfirm} disabled={busy} data-testid="confirm-yes" className="primary">
            {confirmLabel}
          </button>
          <button onClick={onCancel} disabled={busy} data-testid="confirm-no">
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
