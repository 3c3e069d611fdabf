// The roles a caller can hold in a workspace, and what each may do.

export const memberRoles = ['owner', 'admin', 'member', 'viewer'] as const;
export type MemberRole = (typeof memberRoles)[number];

export const keyRoles = ['owner', 'admin', 'member', 'viewer', 'worker'] as const;
export type KeyRole = (typeof keyRoles)[number];

/** What a request acts as: a member role, or `worker`, which may use only the worker endpoints. */
export type EffectiveRole = KeyRole;

/** The bootstrap admin key (`ORCH_DEFAULT_ADMIN_KEY`) acts as this key id, for this user. */
export const BOOTSTRAP_KEY_ID = 'default';
export const BOOTSTRAP_USER_ID = 'admin';

const rank: Record<MemberRole, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

/** A key never grants more than its owner's membership: the weaker of the two applies. */
export function effectiveRole(keyRole: KeyRole, memberRole: MemberRole): EffectiveRole {
  if (keyRole === 'worker') return 'worker';
  return rank[keyRole] <= rank[memberRole] ? keyRole : memberRole;
}

/** Whether `role` is at least `needed`; a worker key satisfies no member role. */
export function hasRole(role: EffectiveRole, needed: MemberRole): boolean {
  if (role === 'worker') return false;
  return rank[role] >= rank[needed];
}

/** Whether a caller acting as `caller` may revoke another key with role `target`: none that outranks it, and `worker` keys only as an admin (who alone makes them). */
export function mayRevoke(caller: EffectiveRole, target: KeyRole): boolean {
  return hasRole(caller, target === 'worker' ? 'admin' : target);
}

/** The member roles that are at least `needed`: `hasRole` as a list, for SQL that checks a role the same way. */
export function rolesAtLeast(needed: MemberRole): MemberRole[] {
  return memberRoles.filter((role) => hasRole(role, needed));
}
