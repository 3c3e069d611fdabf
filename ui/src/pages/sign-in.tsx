// Sign in with an API key: checked against /users/me in the chosen workspace before it is kept.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import type { Me } from '../api/types.ts';
import { Field, FormError, useSubmit } from '../components/form.tsx';
import { signedOutReason, signIn } from '../state/session.ts';

export default function SignIn() {
  const [key, setKey] = useState('');
  const [workspace, setWorkspace] = useState(() => localStorage.getItem('fc.workspace') ?? 'default');
  const [remember, setRemember] = useState(false);
  const submit = useSubmit();
  useEffect(() => {
    document.title = 'Sign in · Flight Control';
  }, []);
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Flight Control</h1>
      {signedOutReason.value && (
        <p class="notice" role="status">
          {signedOutReason.value}
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run(async () => {
            const who = await api<Me>('/users/me', { key: key.trim(), workspace: workspace.trim() || 'default' });
            if (who.role === 'worker') throw new Error('This is a worker key: it can only take work off the queue. Sign in with a person\'s key.');
            signIn(key.trim(), who.workspace_id, remember, who);
          });
        }}
      >
        <Field label="API key" hint="A key from your administrator, or one you created under API keys. It starts with fc_.">
          {(f) => <input {...f} type="password" autoComplete="current-password" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />}
        </Field>
        <Field label="Workspace" hint="Its id; you can switch after signing in.">
          {(f) => <input {...f} value={workspace} onInput={(e) => setWorkspace(e.currentTarget.value)} />}
        </Field>
        <label class="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} /> Remember me in this browser
        </label>
        <FormError submit={submit} />
        <button type="submit" class="primary" disabled={submit.busy}>
          Sign in
        </button>
      </form>
      <p class="muted">
        The API is documented at <a href="/docs">/docs</a>.
      </p>
    </main>
  );
}
