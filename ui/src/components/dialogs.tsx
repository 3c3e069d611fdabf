// Buttons that ask first, and one that copies.
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';

/**
 * A button that opens a modal asking to confirm; `onConfirm` runs only on "yes". `name` is the
 * button's accessible name when its label alone is ambiguous (a "Revoke" on every row of a table).
 */
export function ConfirmButton(props: { label: string; name?: string; title: string; children?: ComponentChildren; confirmLabel?: string; onConfirm: () => Promise<void> | void; danger?: boolean; class?: string; disabled?: boolean }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      dialog.current?.close();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class={props.class ?? (props.danger ? 'danger' : '')} disabled={props.disabled} aria-label={props.name} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} aria-label={props.title} class="confirm">
        <h2>{props.title}</h2>
        {props.children}
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" class="ghost" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class={props.danger ? 'danger' : 'primary'} disabled={busy} onClick={confirm}>
            {props.confirmLabel ?? props.label}
          </button>
        </div>
      </dialog>
    </>
  );
}

export function CopyButton(props: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="ghost"
      onClick={async () => {
        await navigator.clipboard?.writeText(props.text).catch(() => undefined);
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? 'Copied' : (props.label ?? 'Copy')}
      <span class="visually-hidden" role="status">
        {copied ? 'Copied to the clipboard' : ''}
      </span>
    </button>
  );
}
