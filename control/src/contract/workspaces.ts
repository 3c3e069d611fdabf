// Wire schemas for workspaces and their members.
import { z } from '@hono/zod-openapi';
import { memberRoles } from '../auth/roles.ts';
import { timestamp } from './common.ts';

export const memberRole = z.enum(memberRoles).openapi({ description: 'owner > admin > member > viewer' });

const workspaceName = z.string().trim().min(1).max(100);
const description = z.string().max(10_000).nullable();
const maxConcurrentRuns = z
  .number()
  .int()
  .min(1)
  .max(100_000)
  .nullable()
  .openapi({ description: "At most this many of the workspace's runs held by workers at once; the rest wait queued. Null: no limit." });

export const slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "must be lowercase letters, digits and '-', not starting or ending with '-'")
  .openapi({ example: 'platform-team' });

export const WorkspaceCreate = z
  .object({
    name: workspaceName,
    slug,
    description: description.optional(),
    max_concurrent_runs: maxConcurrentRuns.optional(),
  })
  .openapi('WorkspaceCreate');

export const WorkspaceUpdate = z
  .object({
    name: workspaceName,
    description,
    max_concurrent_runs: maxConcurrentRuns,
  })
  .partial()
  .openapi('WorkspaceUpdate');

export const Workspace = z
  .object({
    id: z.string().openapi({ description: 'Send this as `X-Workspace-ID` to work in the workspace.' }),
    name: z.string(),
    slug: z.string(),
    description: z.string().nullable(),
    max_concurrent_runs: z.number().int().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi('Workspace');

export const username = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@+-]+$/, "must be letters, digits or any of . _ @ + -");

// Either names a user (created when the username is new) or points at an existing user by id.
export const MemberCreate = z
  .object({
    username: username.optional(),
    display_name: z.string().trim().min(1).max(200).optional().openapi({ description: 'Used only when the username is new.' }),
    user_id: z.string().min(1).max(64).optional(),
    role: memberRole.default('member'),
  })
  .superRefine((body, ctx) => {
    if (body.username === undefined && body.user_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'send either username or user_id' });
    } else if (body.username !== undefined && body.user_id !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['user_id'], message: 'send either username or user_id, not both' });
    }
  })
  .openapi('MemberCreate');

export const MemberUpdate = z.object({ role: memberRole }).openapi('MemberUpdate');

export const Member = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    user_id: z.string(),
    role: memberRole,
    username: z.string(),
    display_name: z.string().nullable(),
    created_at: timestamp,
  })
  .openapi('Member');

export type WorkspaceCreate = z.infer<typeof WorkspaceCreate>;
export type WorkspaceUpdate = z.infer<typeof WorkspaceUpdate>;
export type Workspace = z.infer<typeof Workspace>;
export type MemberCreate = z.infer<typeof MemberCreate>;
export type Member = z.infer<typeof Member>;
