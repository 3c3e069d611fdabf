// API keys: the workspace's keys (admins see everyone's, others their own), minting one with a role
// no higher than the caller may hand out, shown in full exactly once, and revoking with confirmation.
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import type { ApiKey, ApiKeyCreated, KeyRole, Member } from '../api/types.ts';
import { ConfirmButton, CopyButton } from '../components/dialogs.tsx';
import { Field, FormError, useSubmit } from '../components/form.tsx';
import { RoleField } from '../components/role-field.tsx';
import { Empty, Loaded } from '../components/notice.tsx';
import { Page, Section } from '../components/page.tsx';
import { Ago } from '../components/time.tsx';
import { useList } from '../state/live.ts';
import { can, canEdit, me, session } from '../state/session.ts';
import { canRevoke, mintableRoles } from '../lib/roles.ts';

export default function ApiKeys() {
  const keys = useList<ApiKey>('/api-keys', ['api-keys']);
  const admin = can('admin');
  // Admins see every key, so they need to know whose each is; others only have their own.
  const members = useList<Member>(`/workspaces/${session.value?.workspaceId ?? 'default'}/members`, ['members'], {}, 200);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const owner = (userId: string) => (userId === me.value?.id ? 'you' : (members.data?.find((m) => m.user_id === userId)?.username ?? userId));
  return (
    <Page title="API keys" lede="Keys sign people, scripts and workers in. A key acts with its own role or its owner's membership role, whichever is lower.">
      {created && <NewKey created={created} onDone={() => setCreated(null)} />}
      {canEdit.value && !created && <CreateKey members={admin ? (members.data ?? []) : []} onCreated={setCreated} />}
      <Section title={admin ? 'Keys in this workspace' : 'Your keys'}>
        <Loaded resource={keys} what="API keys">
          {(list) =>
            list.length === 0 ? (
              <Empty>No keys yet.</Empty>
            ) : (
              <div class="table-wrap">
                <table>
                  <caption class="visually-hidden">API keys</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Key</th>
                      <th scope="col">Role</th>
                      {admin && <th scope="col">Owner</th>}
                      <th scope="col">Created</th>
                      <th scope="col">Last used</th>
                      <th scope="col">State</th>
                      {canEdit.value && (
                        <th scope="col">
                          <span class="visually-hidden">Actions</span>
                        </th>
                      )}
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((k) => (
                      <tr key={k.id}>
                        <td>{k.name}</td>
                        <td>
                          <code>{k.prefix}…</code>
                        </td>
                        <td>
                          {k.role}
                          {k.workspace_only && <div class="muted small">this workspace only</div>}
                        </td>
                        {admin && <td>{owner(k.user_id)}</td>}
                        <td>
                          <Ago at={k.created_at} />
                        </td>
                        <td>
                          <Ago at={k.last_used_at} empty="never" />
                        </td>
                        <td>{k.revoked_at ? <span class="badge status-cancelled">revoked <Ago at={k.revoked_at} /></span> : <span class="badge status-completed">active</span>}</td>
                        {canEdit.value && (
                          <td>
                            {!k.revoked_at && me.value && canRevoke(me.value.role, k.role) && (
                              <ConfirmButton
                                label="Revoke"
                                ariaLabel={`Revoke ${k.name}`}
                                title={`Revoke the key “${k.name}”?`}
                                confirmLabel="Revoke key"
                                danger
                                class="small danger"
                                onConfirm={async () => {
                                  await api(`/api-keys/${k.id}`, { method: 'DELETE' });
                                  await keys.reload();
                                }}
                              >
                                <p>
                                  Anything signing in with <code>{k.prefix}…</code> stops working at once
                                  {k.user_id === me.value?.id ? ', including this dashboard if you signed in with it' : ''}. This cannot be undone.
                                </p>
                              </ConfirmButton>
                            )}
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
                {keys.more && (
                  <button type="button" class="ghost" onClick={keys.loadMore}>
                    Show more keys
                  </button>
                )}
              </div>
            )
          }
        </Loaded>
      </Section>
    </Page>
  );
}

function CreateKey(props: { members: Member[]; onCreated: (key: ApiKeyCreated) => void }) {
  const self = me.value!;
  const [name, setName] = useState('');
  const [forUser, setForUser] = useState(self.id);
  const target = props.members.find((m) => m.user_id === forUser);
  const roles = mintableRoles(self.role, forUser === self.id ? null : (target?.role ?? null));
  const [role, setRole] = useState<KeyRole>('member');
  // The choice falls back to the highest allowed when the owner changes under it.
  const chosen: KeyRole = roles.includes(role) ? role : (roles.find((r) => r !== 'worker') ?? roles[0] ?? 'viewer');
  const submit = useSubmit();
  return (
    <Section title="Create a key">
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run(async () => {
            const body = { name: name.trim(), role: chosen, ...(forUser === self.id ? {} : { user_id: forUser }) };
            const key = await api<ApiKeyCreated>('/api-keys', { body });
            setName('');
            props.onCreated(key);
          });
        }}
      >
        <div class="grid-2">
          <Field label="Name" hint="What will use it, e.g. “CI deploys” or “laptop”." error={submit.fieldError('name')}>
            {(f) => <input {...f} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
          </Field>
          <RoleField roles={roles} value={chosen} onChange={setRole} error={submit.fieldError('role')} />
          {props.members.length > 1 && (
            <Field label="For" hint="A key made for someone else works only in this workspace." error={submit.fieldError('user_id')}>
              {(f) => (
                <select {...f} value={forUser} onChange={(e) => setForUser(e.currentTarget.value)}>
                  {props.members.map((m) => (
                    <option key={m.user_id} value={m.user_id}>
                      {m.user_id === self.id ? `${m.username} (you)` : `${m.username} (${m.role})`}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
        </div>
        <FormError submit={submit} shown={['name', 'role', 'user_id']} />
        <div class="actions">
          <button type="submit" class="primary" disabled={submit.busy || roles.length === 0}>
            Create key
          </button>
        </div>
      </form>
    </Section>
  );
}

/** The plaintext of a key just made: the only time it is ever on screen. */
function NewKey(props: { created: ApiKeyCreated; onDone: () => void }) {
  return (
    <section aria-labelledby="new-key" class="section card new-key">
      <h2 id="new-key">Your new key “{props.created.name}”</h2>
      <p class="notice warn" role="status">
        Copy it now and keep it somewhere safe: <strong>you will not see it again.</strong> Only its first characters ({props.created.prefix}…) are kept on
        show.
      </p>
      <div class="new-key-value">
        <input aria-label="New API key" class="mono" readOnly value={props.created.key} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={props.created.key} label="Copy key" />
      </div>
      <p class="muted small">
        Role {props.created.role}
        {props.created.workspace_only ? ', this workspace only' : ''}. Use it as <code>Authorization: Bearer …</code>, or sign in here with it.
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={props.onDone}>
          Done, I have copied it
        </button>
      </div>
    </section>
  );
}
