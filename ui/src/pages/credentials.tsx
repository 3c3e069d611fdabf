// Credentials: secrets runs receive as environment variables. Admins add one (a provider preset fills
// its name and variable), give it a new value, or delete it; nobody ever sees a value again.
import { useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import type { Credential } from '../api/types.ts';
import { ConfirmButton } from '../components/dialogs.tsx';
import { Field, FormError, useSubmit } from '../components/form.tsx';
import { Empty, Loaded } from '../components/notice.tsx';
import { Announcer, Table } from '../components/table.tsx';
import { Page } from '../components/page.tsx';
import { Ago } from '../components/time.tsx';
import { credentialNameFor, PROVIDERS } from '../lib/providers.ts';
import { useList } from '../state/live.ts';
import { can } from '../state/session.ts';

/** Each variable a provider needs, once, with the providers needing it ("Azure OpenAI"). */
const PROVIDERS_BY_VAR: Map<string, string> = (() => {
  const byVar = new Map<string, string[]>();
  for (const p of PROVIDERS) for (const v of p.envVars) byVar.set(v, [...(byVar.get(v) ?? []), p.label]);
  return new Map([...byVar].map(([envVar, providers]) => [envVar, providers.join(', ')]));
})();
const PRESETS = [...PROVIDERS_BY_VAR].map(([envVar, providers]) => ({ envVar, providers }));

function CreateCredential(props: { existing: Credential[]; onCreated: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const empty = { preset: '', name: '', env_var: '', value: '', description: '' };
  const [form, setForm] = useState(empty);
  const submit = useSubmit();
  const configured = new Set(props.existing.map((c) => c.env_var));
  const set = (patch: Partial<typeof empty>) => setForm((f) => ({ ...f, ...patch }));
  const close = () => {
    // The value leaves the page's memory with the dialog.
    setForm(empty);
    submit.clear();
    dialog.current?.close();
  };
  return (
    <>
      <button type="button" class="primary" onClick={() => dialog.current?.showModal()}>
        Add credential
      </button>
      <dialog ref={dialog} aria-label="Add credential" onClose={() => setForm(empty)}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit.run(async () => {
              await api<Credential>('/credentials', { body: { name: form.name, env_var: form.env_var, value: form.value, description: form.description.trim() || null } });
              close();
              props.onCreated();
            });
          }}
        >
          <h2>Add credential</h2>
          <Field label="Provider preset" hint="Fills the name and variable a provider's key goes in.">
            {(f) => (
              <select
                {...f}
                value={form.preset}
                onChange={(e) => {
                  const envVar = e.currentTarget.value;
                  set(envVar ? { preset: envVar, env_var: envVar, name: credentialNameFor(envVar) } : { preset: '' });
                }}
              >
                <option value="">Custom</option>
                {PRESETS.map((p) => (
                  <option key={p.envVar} value={p.envVar}>
                    {p.providers}: {p.envVar}
                    {configured.has(p.envVar) ? ' (already configured)' : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Name" hint="Jobs and runs refer to the credential by this." error={submit.fieldError('name')}>
            {(f) => <input {...f} required autoComplete="off" value={form.name} onInput={(e) => set({ name: e.currentTarget.value })} />}
          </Field>
          <Field label="Environment variable" hint="The variable the agent's process receives the value in." error={submit.fieldError('env_var')}>
            {(f) => <input {...f} required class="mono" autoComplete="off" spellcheck={false} value={form.env_var} onInput={(e) => set({ env_var: e.currentTarget.value })} />}
          </Field>
          <Field label="Value" hint="Stored encrypted; it is never shown again." error={submit.fieldError('value')}>
            {(f) => <input {...f} type="password" required autoComplete="new-password" value={form.value} onInput={(e) => set({ value: e.currentTarget.value })} />}
          </Field>
          <Field label="Description" error={submit.fieldError('description')}>
            {(f) => <input {...f} value={form.description} onInput={(e) => set({ description: e.currentTarget.value })} />}
          </Field>
          <FormError submit={submit} shown={['name', 'env_var', 'value', 'description']} />
          <div class="actions">
            <button type="button" class="ghost" onClick={close}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={submit.busy}>
              Create credential
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

function RotateCredential(props: { credential: Credential; onRotated: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [value, setValue] = useState('');
  const submit = useSubmit();
  const close = () => {
    setValue('');
    submit.clear();
    dialog.current?.close();
  };
  const name = props.credential.name;
  return (
    <>
      <button type="button" class="small" aria-label={`Rotate ${name}`} onClick={() => dialog.current?.showModal()}>
        Rotate
      </button>
      <dialog ref={dialog} aria-label={`Rotate ${name}`} onClose={() => setValue('')}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit.run(async () => {
              await api<Credential>(`/credentials/${encodeURIComponent(props.credential.id)}`, { method: 'PUT', body: { value } });
              close();
              props.onRotated();
            });
          }}
        >
          <h2>Rotate {name}</h2>
          <p class="muted">
            Runs that start from now on receive the new value in <code>{props.credential.env_var}</code>; runs already going keep the old one.
          </p>
          <Field label="New value" error={submit.fieldError('value')}>
            {(f) => <input {...f} type="password" required autoComplete="new-password" value={value} onInput={(e) => setValue(e.currentTarget.value)} />}
          </Field>
          <FormError submit={submit} shown={['value']} />
          <div class="actions">
            <button type="button" class="ghost" onClick={close}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={submit.busy}>
              Save new value
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

export default function Credentials() {
  const credentials = useList<Credential>('/credentials', ['credentials'], {}, 200);
  const [notice, setNotice] = useState('');
  const admin = can('admin');
  const done = (message: string) => {
    setNotice(message);
    void credentials.reload();
  };
  return (
    <Page
      title="Credentials"
      lede="Secrets runs receive as environment variables. Values are write-only."
      actions={admin && <CreateCredential existing={credentials.data ?? []} onCreated={() => done('Credential created.')} />}
    >
      <Announcer message={notice} />
      <Loaded resource={credentials} what="credentials">
        {(list) =>
          list.length === 0 ? (
            <Empty>No credentials yet.{admin ? ' Add one for the provider your runs use.' : ''}</Empty>
          ) : (
            <Table
              caption="Credentials"
              actions={admin}
              head={
                <>
                  <th scope="col">Name</th>
                  <th scope="col">Environment variable</th>
                  <th scope="col">Description</th>
                  <th scope="col">Last changed</th>
                </>
              }
            >
              {list.map((c) => (
                <tr key={c.id}>
                  <th scope="row">{c.name}</th>
                  <td>
                    <code>{c.env_var}</code>
                    {PROVIDERS_BY_VAR.has(c.env_var) && <div class="muted small">for {PROVIDERS_BY_VAR.get(c.env_var)}</div>}
                  </td>
                  <td>{c.description ?? <span class="muted">—</span>}</td>
                  <td>
                    <Ago at={c.updated_at} />
                  </td>
                  {admin && (
                    <td>
                      <div class="actions">
                        <RotateCredential credential={c} onRotated={() => done(`${c.name} has its new value.`)} />
                        <ConfirmButton
                          label="Delete"
                          ariaLabel={`Delete ${c.name}`}
                          title={`Delete ${c.name}?`}
                          confirmLabel="Delete credential"
                          class="danger small"
                          danger
                          onConfirm={async () => {
                            await api(`/credentials/${encodeURIComponent(c.id)}`, { method: 'DELETE' });
                            done(`${c.name} deleted.`);
                          }}
                        >
                          <p>
                            Jobs naming <strong>{c.name}</strong> will no longer get <code>{c.env_var}</code>.
                          </p>
                        </ConfirmButton>
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </Table>
          )
        }
      </Loaded>
    </Page>
  );
}
