// The one form for what an agent is asked to do, used for a new run and for creating or editing a
// job: prompt, provider and model, MCP servers, credentials, skills, environment, required labels
// and limits. The API's validation messages appear next to their fields, and a submit whose chosen
// provider has no credential for its key asks first.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Credential, SkillSummary } from '../api/types.ts';
import { missingProviderKeys, type AgentFormState } from '../lib/agent-form.ts';
import { credentialNameFor, PROVIDERS, providerOf } from '../lib/providers.ts';
import { useResource } from '../state/live.ts';
import { Field, FormError, MapEditor, useSubmit, type Submit } from './form.tsx';
import { McpServersEditor } from './mcp-servers-editor.tsx';
import { ErrorNotice, Loading } from './notice.tsx';
import { Section } from './page.tsx';

export type AgentFormKind = 'run' | 'job';

type Update = (changes: Partial<AgentFormState>) => void;

const OTHER = '__other__';

function ProviderFields(props: { state: AgentFormState; set: Update; submit: Submit }) {
  const { state, set, submit } = props;
  const provider = providerOf(state.provider);
  const [custom, setCustom] = useState(() => state.model !== '' && !(provider?.models.includes(state.model) ?? false));
  return (
    <div class="grid-2">
      <Field label="Provider" error={submit.fieldError('agent_config.provider')} hint={state.provider ? undefined : "The worker's default provider and model."}>
        {(f) => (
          <select
            {...f}
            value={state.provider}
            onChange={(e) => {
              const next = providerOf(e.currentTarget.value);
              set({ provider: e.currentTarget.value, model: next?.defaultModel ?? '' });
              setCustom(false);
            }}
          >
            <option value="">Worker's default</option>
            {PROVIDERS.map((p) => (
              <option key={p.key} value={p.key}>
                {p.label}
              </option>
            ))}
            {state.provider && !provider && <option value={state.provider}>{state.provider}</option>}
          </select>
        )}
      </Field>
      {provider ? (
        <Field label="Model" error={custom ? undefined : submit.fieldError('agent_config.model')}>
          {(f) => (
            <select
              {...f}
              value={custom ? OTHER : state.model}
              onChange={(e) => {
                const value = e.currentTarget.value;
                setCustom(value === OTHER);
                set({ model: value === OTHER ? '' : value });
              }}
            >
              {provider.models.map((m) => (
                <option key={m} value={m}>
                  {m}
                  {m === provider.defaultModel ? ' (default)' : ''}
                </option>
              ))}
              <option value={OTHER}>Other model…</option>
            </select>
          )}
        </Field>
      ) : null}
      {(custom || !provider) && (
        <Field label={provider ? 'Model name' : 'Model'} error={submit.fieldError('agent_config.model')} hint={provider ? `Any model ${provider.label} serves.` : "Blank for the worker's default."}>
          {(f) => <input {...f} class="mono" value={state.model} onInput={(e) => set({ model: e.currentTarget.value })} autocomplete="off" />}
        </Field>
      )}
      <Field label="Max turns" error={submit.fieldError('agent_config.max_turns')} hint="Blank for goose's default.">
        {(f) => <input {...f} type="number" inputMode="numeric" value={state.maxTurns} onInput={(e) => set({ maxTurns: e.currentTarget.value })} />}
      </Field>
    </div>
  );
}

function Checkbox(props: { checked: boolean; onChange: (checked: boolean) => void; children: ComponentChildren }) {
  return (
    <label class="check">
      <input type="checkbox" checked={props.checked} onChange={(e) => props.onChange(e.currentTarget.checked)} />
      <span>{props.children}</span>
    </label>
  );
}

function toggle(list: string[], name: string, on: boolean): string[] {
  return on ? [...list.filter((n) => n !== name), name] : list.filter((n) => n !== name);
}

function CredentialPicker(props: { state: AgentFormState; set: Update; submit: Submit; credentials: Credential[] | undefined; error: Error | null }) {
  const { state, set } = props;
  const known = new Set((props.credentials ?? []).map((c) => c.name));
  const gone = state.credentials.filter((n) => !known.has(n));
  const error = props.submit.fieldError('credential_ids');
  return (
    <fieldset class={`choices ${error ? 'invalid' : ''}`}>
      <legend>Credentials</legend>
      <p class="hint">Each chosen credential reaches the agent as its environment variable; values are never shown.</p>
      {props.credentials === undefined ? (
        props.error ? <ErrorNotice error={props.error} what="Could not load credentials" /> : <Loading what="credentials" />
      ) : props.credentials.length === 0 && gone.length === 0 ? (
        <p class="muted">
          No credentials in this workspace yet. <a href="/credentials">Add one</a>.
        </p>
      ) : null}
      {props.credentials?.map((c) => (
        <Checkbox key={c.id} checked={state.credentials.includes(c.name)} onChange={(on) => set({ credentials: toggle(state.credentials, c.name, on) })}>
          {c.name} <span class="muted mono small">{c.env_var}</span>
        </Checkbox>
      ))}
      {props.credentials !== undefined &&
        gone.map((name) => (
          <Checkbox key={name} checked onChange={(on) => set({ credentials: toggle(state.credentials, name, on) })}>
            {name} <span class="field-error small">(no longer exists)</span>
          </Checkbox>
        ))}
      {error && <p class="field-error">{error}</p>}
    </fieldset>
  );
}

function SkillPicker(props: { state: AgentFormState; set: Update; submit: Submit; skills: SkillSummary[] | undefined }) {
  const { state, set } = props;
  const error = props.submit.fieldError('skill_ids');
  const names = [...new Set([...(props.skills ?? []).map((s) => s.name), ...state.chosenSkills])];
  const radio = (value: AgentFormState['skills'], label: string) => (
    <label class="check">
      <input type="radio" name="skills" value={value} checked={state.skills === value} onChange={() => set({ skills: value })} />
      {label}
    </label>
  );
  return (
    <fieldset class="choices">
      <legend>Skills</legend>
      {radio('all', 'Every skill of the workspace')}
      {radio('none', 'No skills')}
      {radio('chosen', 'Only the skills chosen below')}
      {state.skills === 'chosen' && (
        <div class="indent" role="group" aria-label="Chosen skills">
          {names.length === 0 && (
            <p class="muted">
              No skills in this workspace yet. <a href="/skills">Upload one</a>.
            </p>
          )}
          {names.map((name) => (
            <Checkbox key={name} checked={state.chosenSkills.includes(name)} onChange={(on) => set({ chosenSkills: toggle(state.chosenSkills, name, on) })}>
              {name}
            </Checkbox>
          ))}
        </div>
      )}
      {error && <p class="field-error">{error}</p>}
    </fieldset>
  );
}

/** What the missing provider keys mean, in one sentence. */
function MissingKeys(props: { provider: string; missing: string[] }) {
  const label = providerOf(props.provider)?.label ?? props.provider;
  const first = props.missing[0] ?? '';
  return (
    <>
      {label} needs{' '}
      {props.missing.map((v, i) => (
        <span key={v}>
          {i > 0 ? ', ' : ''}
          <code>{v}</code>
        </span>
      ))}
      , and no chosen credential supplies {props.missing.length > 1 ? 'them' : 'it'}. Choose one (for example a credential named <code>{credentialNameFor(first)}</code>), or the run relies on the
      worker's own environment.
    </>
  );
}

/** Every field the form shows an error beside; others are listed with the form's error. */
function shownFields(kind: AgentFormKind, servers: number): string[] {
  const fields = ['name', 'task_prompt', 'agent_config.provider', 'agent_config.model', 'agent_config.max_turns', 'credential_ids', 'skill_ids', 'env_vars', kind === 'job' ? 'labels' : 'required_labels', 'priority', 'timeout_seconds', 'max_attempts', 'retry', ...(kind === 'job' ? ['max_concurrent_runs'] : [])];
  if (kind === 'job') fields.push('description');
  for (let i = 0; i < servers; i++) for (const f of ['name', 'type', 'command', 'args', 'env', 'uri', 'headers', 'timeout']) fields.push(`mcp_servers.${i}.${f}`);
  return fields;
}

/** When every field the API named has its message beside it, a pointer to them; otherwise the API's own words. */
function SubmitError(props: { submit: Submit; shown: string[] }) {
  const error = props.submit.error;
  if (!error) return null;
  const beside = error.fields.length > 0 && error.fields.every((f) => props.shown.some((s) => f.field === s || f.field.startsWith(`${s}.`) || f.field.startsWith(`${s}[`)));
  if (!beside) return <FormError submit={props.submit} shown={props.shown} />;
  const n = error.fields.length;
  return (
    <div class="notice error" role="alert">
      {n === 1 ? 'One field needs' : `${n} fields need`} attention: see the {n === 1 ? 'message' : 'messages'} beside {n === 1 ? 'it' : 'them'} above.
    </div>
  );
}

export function AgentForm(props: { kind: AgentFormKind; initial: AgentFormState; submitLabel: string; cancelHref: string; onSubmit: (state: AgentFormState) => Promise<void> }) {
  const { kind } = props;
  const [state, setState] = useState(props.initial);
  const set: Update = (changes) => setState((s) => ({ ...s, ...changes }));
  const submit = useSubmit();
  const credentials = useResource<Credential[]>('/credentials', ['credentials'], { query: { limit: 500 } });
  const skills = useResource<SkillSummary[]>('/skills', ['skills'], { query: { limit: 500 } });
  const missing = credentials.data ? missingProviderKeys(state, credentials.data) : [];
  const confirm = useRef<HTMLDialogElement>(null);
  const send = () => submit.run(() => props.onSubmit(state));
  const listError = submit.error?.fields.find((f) => f.field === 'mcp_servers');
  const form = useRef<HTMLFormElement>(null);
  // A refused submit takes the keyboard to the first field the API named.
  useEffect(() => {
    if (submit.error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [submit.error]);

  return (
    <form
      ref={form}
      class="agent-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (missing.length > 0) confirm.current?.showModal();
        else void send();
      }}
    >
      <Section title={kind === 'job' ? 'Job' : 'Task'}>
        <Field label="Name" error={submit.fieldError('name')} hint={kind === 'run' ? 'Blank: "Ad-hoc Run".' : undefined}>
          {(f) => <input {...f} value={state.name} onInput={(e) => set({ name: e.currentTarget.value })} autocomplete="off" />}
        </Field>
        {kind === 'job' && (
          <Field label="Description" error={submit.fieldError('description')}>
            {(f) => <textarea {...f} class="short" rows={2} value={state.description} onInput={(e) => set({ description: e.currentTarget.value })} />}
          </Field>
        )}
        <Field label="Prompt" error={submit.fieldError('task_prompt')} hint="What the agent should do, in plain language.">
          {(f) => <textarea {...f} rows={8} value={state.prompt} onInput={(e) => set({ prompt: e.currentTarget.value })} />}
        </Field>
      </Section>

      <Section title="Agent">
        <ProviderFields state={state} set={set} submit={submit} />
        {missing.length > 0 && (
          <div class="notice warn" role="status">
            <MissingKeys provider={state.provider} missing={missing} />
          </div>
        )}
      </Section>

      <Section title="Tools and access">
        <McpServersEditor servers={state.mcpServers} submit={submit} onChange={(mcpServers) => set({ mcpServers })} />
        <CredentialPicker state={state} set={set} submit={submit} credentials={credentials.data} error={credentials.error} />
        <SkillPicker state={state} set={set} submit={submit} skills={skills.data} />
      </Section>

      <Section title="Environment and placement">
        <MapEditor legend="Environment variables" noun="variable" value={state.env} onChange={(env) => set({ env })} error={submit.fieldError('env_vars')} />
        <MapEditor
          legend="Required worker labels"
          noun="label"
          value={state.labels}
          onChange={(labels) => set({ labels })}
          error={submit.fieldError(kind === 'job' ? 'labels' : 'required_labels')}
        />
      </Section>

      <Section title="Limits">
        <div class="grid-3">
          <Field label="Priority" error={submit.fieldError('priority')} hint="-1000 to 1000; higher runs first.">
            {(f) => <input {...f} type="number" inputMode="numeric" value={state.priority} onInput={(e) => set({ priority: e.currentTarget.value })} />}
          </Field>
          <Field label="Timeout (seconds)" error={submit.fieldError('timeout_seconds')} hint="Up to 7 days.">
            {(f) => <input {...f} type="number" inputMode="numeric" value={state.timeoutSeconds} onInput={(e) => set({ timeoutSeconds: e.currentTarget.value })} />}
          </Field>
          <Field label="Max attempts" error={submit.fieldError('max_attempts')} hint="Claims allowed when workers are lost mid-run.">
            {(f) => <input {...f} type="number" inputMode="numeric" value={state.maxAttempts} onInput={(e) => set({ maxAttempts: e.currentTarget.value })} />}
          </Field>
          <Field label="Retries" error={submit.fieldError('retry.max_attempts') ?? submit.fieldError('retry')} hint="Tries again after a failure, timeout or lost worker; blank for none.">
            {(f) => <input {...f} type="number" inputMode="numeric" min={0} value={state.retries} onInput={(e) => set({ retries: e.currentTarget.value })} />}
          </Field>
          <Field label="First retry after (seconds)" error={submit.fieldError('retry.backoff.initial_seconds')} hint="Each later retry waits twice as long, at most an hour (or this first wait, if longer).">
            {(f) => <input {...f} type="number" inputMode="numeric" min={0} value={state.retryDelay} onInput={(e) => set({ retryDelay: e.currentTarget.value })} />}
          </Field>
          {kind === 'job' && (
            <Field label="Max concurrent runs" error={submit.fieldError('max_concurrent_runs')} hint="Runs of this job held by workers at once; the rest wait queued. Blank for no limit.">
              {(f) => <input {...f} type="number" inputMode="numeric" min={1} value={state.maxConcurrent} onInput={(e) => set({ maxConcurrent: e.currentTarget.value })} />}
            </Field>
          )}
        </div>
      </Section>

      <SubmitError submit={submit} shown={[...shownFields(kind, state.mcpServers.length), ...(listError ? ['mcp_servers'] : [])]} />
      <div class="actions form-actions">
        <button type="submit" class="primary" disabled={submit.busy}>
          {submit.busy ? 'Saving…' : props.submitLabel}
        </button>
        <a class="button" href={props.cancelHref}>
          Cancel
        </a>
      </div>

      <dialog ref={confirm} aria-labelledby="missing-key-title" class="confirm">
        <h2 id="missing-key-title">No credential for the provider's key</h2>
        <p>
          <MissingKeys provider={state.provider} missing={missing} />
        </p>
        <div class="actions">
          <button type="button" class="ghost" onClick={() => confirm.current?.close()}>
            Go back
          </button>
          <button
            type="button"
            class="primary"
            onClick={() => {
              confirm.current?.close();
              void send();
            }}
          >
            {props.submitLabel} anyway
          </button>
        </div>
      </dialog>
    </form>
  );
}
