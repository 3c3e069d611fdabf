// What each role may do, and which roles a caller may hand out: the control plane's rules
// (control/src/auth/roles.ts, routes/api-keys.ts, routes/workspaces.ts) mirrored so that the
// dashboard offers only choices the API will accept.
import type { KeyRole, MemberRole } from '../api/types.ts';

export const MEMBER_ROLES: MemberRole[] = ['owner', 'admin', 'member', 'viewer'];

const rank: Record<MemberRole, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

export const ROLE_HELP: Record<KeyRole, string> = {
  owner: 'Everything, including deleting the workspace and managing owners.',
  admin: 'Everything but owners and deleting the workspace: members, keys of others, workers.',
  member: 'Creates and runs jobs, runs, schedules, credentials and skills.',
  viewer: 'Reads everything, changes nothing.',
  worker: 'Only takes runs off the queue (for node-workers); it receives the runs’ credentials.',
};

function atLeast(role: KeyRole, needed: MemberRole): boolean {
  return role !== 'worker' && rank[role] >= rank[needed];
}

/**
 * The roles a key may be created with, highest first: none above the caller's role nor, for a key
 * made for another member, above that member's role; `worker` only by admins and owners, and only for
 * someone who is at least a member.
 */
export function mintableRoles(caller: KeyRole, forMember: MemberRole | null = null): KeyRole[] {
  if (caller === 'worker') return [];
  const ceiling = forMember !== null && rank[forMember] < rank[caller] ? forMember : caller;
  const roles: KeyRole[] = MEMBER_ROLES.filter((r) => rank[r] <= rank[ceiling]);
  if (atLeast(caller, 'admin') && atLeast(ceiling, 'member')) roles.push('worker');
  return roles;
}

/** The roles an admin or owner may give a member: owner only by an owner. */
export function grantableRoles(caller: KeyRole): MemberRole[] {
  if (!atLeast(caller, 'admin')) return [];
  return caller === 'owner' ? MEMBER_ROLES : MEMBER_ROLES.filter((r) => r !== 'owner');
}

/** Whether the caller may change or remove a member with this role (owners only by owners). */
export function canManage(caller: KeyRole, target: MemberRole): boolean {
  return atLeast(caller, 'admin') && (target !== 'owner' || caller === 'owner');
}

/** Whether the caller may revoke a key with this role: none that outranks them, and worker keys only as an admin or owner. */
export function canRevoke(caller: KeyRole, target: KeyRole): boolean {
  return atLeast(caller, target === 'worker' ? 'admin' : target);
}
