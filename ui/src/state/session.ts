// Who is signed in: the API key (kept for this tab, or in this browser when asked), the current
// workspace, and the caller as the control plane sees them there (`/users/me`: their role).
import { computed, signal } from '@preact/signals';
import type { Me, MemberRole } from '../api/types.ts';

const KEY = 'fc.key';
const WORKSPACE = 'fc.workspace';

export interface Session {
  key: string;
  workspaceId: string;
  remember: boolean;
}

function stored(): Session | null {
  const remembered = localStorage.getItem(KEY);
  const key = sessionStorage.getItem(KEY) ?? remembered;
  if (!key) return null;
  return { key, workspaceId: localStorage.getItem(WORKSPACE) ?? 'default', remember: remembered !== null };
}

export const session = signal<Session | null>(stored());
/** The caller in the current workspace; null until `/users/me` answered. */
export const me = signal<Me | null>(null);
/** Why the last session ended, shown on the sign-in page. */
export const signedOutReason = signal<string | null>(null);

const rank: Record<MemberRole, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

/** Whether the caller's role in this workspace is at least `needed`; controls they may not use are not shown. */
export function can(needed: MemberRole): boolean {
  const role = me.value?.role;
  if (!role || role === 'worker') return false;
  return rank[role] >= rank[needed];
}

export const canEdit = computed(() => can('member'));

export function signIn(key: string, workspaceId: string, remember: boolean, who: Me): void {
  sessionStorage.setItem(KEY, key);
  if (remember) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
  localStorage.setItem(WORKSPACE, workspaceId);
  signedOutReason.value = null;
  me.value = who;
  session.value = { key, workspaceId, remember };
}

export function signOut(reason: string | null = null): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
  signedOutReason.value = reason;
  me.value = null;
  session.value = null;
}

export function switchWorkspace(workspaceId: string, who: Me): void {
  const current = session.value;
  if (!current) return;
  localStorage.setItem(WORKSPACE, workspaceId);
  me.value = who;
  session.value = { ...current, workspaceId };
}
