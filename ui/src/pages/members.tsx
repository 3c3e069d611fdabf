// Members: who belongs to this workspace and with which role. Admins and owners add people by
// username, change roles and remove members (owners alone manage owners; the last owner stays).
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client.ts';
import type { Me, Member, MemberRole } from '../api/types.ts';
import { ConfirmButton } from '../components/dialogs.tsx';
import { Field, FormError, useSubmit } from '../components/form.tsx';
import { RoleField } from '../components/role-field.tsx';
import { Empty, ErrorNotice, Loaded } from '../components/notice.tsx';
import { Page, Section } from '../components/page.tsx';
import { Ago } from '../components/time.tsx';
import { canManage, grantableRoles } from '../lib/roles.ts';
import { useList } from '../state/live.ts';
import { can, me, session } from '../state/session.ts';

export default function Members() {
  const base = `/workspaces/${encodeURIComponent(session.value?.workspaceId ?? 'default')}/members`;
  const members = useList<Member>(base, ['members'], {}, 100);
  const admin = can('admin');
  const caller = me.value!;
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState('');

  const changeRole = async (m: Member, role: MemberRole) => {
    setProblem(null);
    try {
      await api<Member>(`${base}/${encodeURIComponent(m.user_id)}`, { method: 'PUT', body: { role } });
      setNotice(`${m.username} is now ${role === 'admin' || role === 'owner' ? 'an' : 'a'} ${role}.`);
      // Your own role changed: the controls you are shown follow it.
      if (m.user_id === caller.id) me.value = await api<Me>('/users/me');
    } catch (err) {
      setProblem(err instanceof ApiError ? err : new ApiError(0, 'error', String(err)));
    }
    await members.reload();
  };

  return (
    <Page title="Members" lede="People in this workspace. A member's keys never act above their role here.">
      {admin && <AddMember base={base} onAdded={(m) => (setNotice(`${m.username} was added as ${m.role}.`), members.reload())} />}
      <p class="visually-hidden" role="status">
        {notice}
      </p>
      <Section title="People">
        <ErrorNotice error={problem} what="The role was not changed" />
        <Loaded resource={members} what="members">
          {(list) =>
            list.length === 0 ? (
              <Empty>No members.</Empty>
            ) : (
              <div class="table-wrap">
                <table>
                  <caption class="visually-hidden">Members</caption>
                  <thead>
                    <tr>
                      <th scope="col">User</th>
                      <th scope="col">Role</th>
                      <th scope="col">Member since</th>
                      {admin && (
                        <th scope="col">
                          <span class="visually-hidden">Actions</span>
                        </th>
                      )}
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((m) => {
                      const manageable = canManage(caller.role, m.role);
                      const you = m.user_id === caller.id;
                      return (
                        <tr key={m.user_id}>
                          <td>
                            <strong>{m.username}</strong>
                            {you && <span class="muted"> (you)</span>}
                            {m.display_name && <div class="muted small">{m.display_name}</div>}
                          </td>
                          <td>
                            {manageable ? (
                              <RoleChanger member={m} roles={grantableRoles(caller.role)} onChange={(role) => changeRole(m, role)} />
                            ) : (
                              m.role
                            )}
                          </td>
                          <td>
                            <Ago at={m.created_at} />
                          </td>
                          {admin && (
                            <td>
                              {manageable && !you && (
                                <ConfirmButton
                                  label="Remove"
                                  ariaLabel={`Remove ${m.username}`}
                                  title={`Remove ${m.username} from this workspace?`}
                                  confirmLabel="Remove member"
                                  danger
                                  class="small danger"
                                  onConfirm={async () => {
                                    await api(`${base}/${encodeURIComponent(m.user_id)}`, { method: 'DELETE' });
                                    setNotice(`${m.username} was removed.`);
                                    await members.reload();
                                  }}
                                >
                                  <p>{m.username} loses access to this workspace, and their keys for it are revoked at once. Their runs and jobs stay.</p>
                                </ConfirmButton>
                              )}
                            </td>
                          )}
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
                {members.more && (
                  <button type="button" class="ghost" onClick={members.loadMore}>
                    Show more members
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

/**
 * A member's role, changed only when asked: a select alone would apply every option the arrow keys
 * pass over on the way to the one wanted.
 */
function RoleChanger(props: { member: Member; roles: MemberRole[]; onChange: (role: MemberRole) => Promise<void> }) {
  const { member } = props;
  const [role, setRole] = useState<MemberRole>(member.role);
  const [busy, setBusy] = useState(false);
  // The list refreshed under us (another admin, or this change landing): show what is stored.
  useEffect(() => setRole(member.role), [member.role]);
  return (
    <div class="role-changer">
      <select aria-label={`Role of ${member.username}`} value={role} onChange={(e) => setRole(e.currentTarget.value as MemberRole)}>
        {props.roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      {role !== member.role && (
        <button
          type="button"
          class="small primary"
          aria-label={`Change role of ${member.username} to ${role}`}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await props.onChange(role);
            setBusy(false);
          }}
        >
          Change
        </button>
      )}
    </div>
  );
}

function AddMember(props: { base: string; onAdded: (m: Member) => void }) {
  const roles = grantableRoles(me.value!.role);
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<MemberRole>('member');
  const submit = useSubmit();
  return (
    <Section title="Add a member">
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run(async () => {
            const body = { username: username.trim(), role, ...(displayName.trim() ? { display_name: displayName.trim() } : {}) };
            const added = await api<Member>(props.base, { body });
            setUsername('');
            setDisplayName('');
            props.onAdded(added);
          });
        }}
      >
        <div class="grid-2">
          <Field label="Username" hint="An existing user, or a new one created now. They sign in with a key made for them under API keys." error={submit.fieldError('username')}>
            {(f) => <input {...f} required autoComplete="off" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />}
          </Field>
          <Field label="Display name" hint="Optional; used only for a new user." error={submit.fieldError('display_name')}>
            {(f) => <input {...f} value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />}
          </Field>
          <RoleField roles={roles} value={role} onChange={setRole} error={submit.fieldError('role')} />
        </div>
        <FormError submit={submit} shown={['username', 'display_name', 'role']} />
        <div class="actions">
          <button type="submit" class="primary" disabled={submit.busy}>
            Add member
          </button>
        </div>
      </form>
    </Section>
  );
}
