// Form pieces: a labelled field that shows the API's message for it, a submit hook that keeps the
// error and the busy state, and an editor for string maps (env vars, labels).
import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';
import { ApiError } from '../api/client.ts';

export interface FieldProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
}

/** A label, the control (given its id and description ids), a hint and the field's error. */
export function Field(props: { label: string; error?: string | undefined; hint?: ComponentChildren; children: (field: FieldProps) => ComponentChildren; class?: string }) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field ${props.error ? 'invalid' : ''} ${props.class ?? ''}`}>
      <label for={id}>{props.label}</label>
      {props.children({ id, ...(describedBy ? { 'aria-describedby': describedBy } : {}), ...(props.error ? { 'aria-invalid': true } : {}) })}
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={errorId}>
          {props.error}
        </p>
      )}
    </div>
  );
}

export interface Submit {
  busy: boolean;
  error: ApiError | null;
  /** The API's message for a field, if the last attempt failed on it. */
  fieldError: (field: string) => string | undefined;
  run: (work: () => Promise<void>) => Promise<void>;
  clear: () => void;
}

export function useSubmit(): Submit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  return {
    busy,
    error,
    fieldError: (field) => error?.fieldMessage(field),
    clear: () => setError(null),
    run: async (work) => {
      setBusy(true);
      setError(null);
      try {
        await work();
      } catch (err) {
        setError(err instanceof ApiError ? err : new ApiError(0, 'error', String(err)));
      } finally {
        setBusy(false);
      }
    },
  };
}

/** The form's own error: its message, and the fields it names that no control showed. */
export function FormError(props: { submit: Submit; shown?: string[] }) {
  const error = props.submit.error;
  if (!error) return null;
  const others = error.fields.filter((f) => !(props.shown ?? []).some((s) => f.field === s || f.field.startsWith(`${s}.`) || f.field.startsWith(`${s}[`)));
  return (
    <div class="notice error" role="alert">
      {error.message}
      {others.length > 0 && (
        <ul>
          {others.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Rows of name and value for a string map; `noun` names a row for assistive tech ("variable", "label"). */
export function MapEditor(props: { legend: string; noun: string; value: Record<string, string>; onChange: (value: Record<string, string>) => void; error?: string | undefined }) {
  const [rows, setRows] = useState<[string, string][]>(() => Object.entries(props.value));
  const update = (next: [string, string][]) => {
    setRows(next);
    props.onChange(Object.fromEntries(next.filter(([k]) => k.trim() !== '')));
  };
  return (
    <fieldset class="map-editor">
      <legend>{props.legend}</legend>
      {rows.length === 0 && <p class="muted">None.</p>}
      {rows.map(([k, v], i) => (
        <div class="row" key={i}>
          <input aria-label={`${props.noun} ${i + 1} name`} placeholder="name" value={k} onInput={(e) => update(rows.map((r, j) => (j === i ? [e.currentTarget.value, r[1]] : r)))} />
          <input aria-label={`${props.noun} ${i + 1} value`} placeholder="value" value={v} onInput={(e) => update(rows.map((r, j) => (j === i ? [r[0], e.currentTarget.value] : r)))} />
          <button type="button" class="ghost" aria-label={`Remove ${props.noun} ${k || i + 1}`} onClick={() => update(rows.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" class="ghost" onClick={() => setRows([...rows, ['', '']])}>
        Add {props.noun}
      </button>
      {props.error && <p class="field-error">{props.error}</p>}
    </fieldset>
  );
}
