import { describe, expect, it } from 'vitest';
import { canManage, canRevoke, grantableRoles, mintableRoles } from './roles.ts';

describe('mintableRoles', () => {
  it('offers an owner every role, worker keys included', () => {
    expect(mintableRoles('owner')).toEqual(['owner', 'admin', 'member', 'viewer', 'worker']);
  });

  it('caps a member at member and gives them no worker keys', () => {
    expect(mintableRoles('member')).toEqual(['member', 'viewer']);
  });

  it('gives a viewer viewer keys only, and a worker key nothing', () => {
    expect(mintableRoles('viewer')).toEqual(['viewer']);
    expect(mintableRoles('worker')).toEqual([]);
  });

  it("caps a key for another member at the lower of the two roles; a viewer's gets no worker key", () => {
    expect(mintableRoles('admin', 'owner')).toEqual(['admin', 'member', 'viewer', 'worker']);
    expect(mintableRoles('owner', 'member')).toEqual(['member', 'viewer', 'worker']);
    expect(mintableRoles('admin', 'viewer')).toEqual(['viewer']);
  });
});

describe('member roles', () => {
  it('lets only owners grant owner, and nobody below admin grant anything', () => {
    expect(grantableRoles('owner')).toContain('owner');
    expect(grantableRoles('admin')).toEqual(['admin', 'member', 'viewer']);
    expect(grantableRoles('member')).toEqual([]);
  });

  it('lets admins manage everyone but owners', () => {
    expect(canManage('admin', 'member')).toBe(true);
    expect(canManage('admin', 'owner')).toBe(false);
    expect(canManage('owner', 'owner')).toBe(true);
    expect(canManage('viewer', 'viewer')).toBe(false);
  });
});

describe('canRevoke', () => {
  it('lets a key revoke none that outranks it, and worker keys only as an admin or owner', () => {
    expect(canRevoke('owner', 'owner')).toBe(true);
    expect(canRevoke('admin', 'owner')).toBe(false);
    expect(canRevoke('admin', 'worker')).toBe(true);
    expect(canRevoke('member', 'worker')).toBe(false);
    expect(canRevoke('member', 'viewer')).toBe(true);
    expect(canRevoke('viewer', 'member')).toBe(false);
    expect(canRevoke('worker', 'worker')).toBe(false);
  });
});
