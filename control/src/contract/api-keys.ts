// Wire schemas for API keys: only the hash is stored, so the plaintext is shown once, at creation.
import { z } from '@hono/zod-openapi';
import { keyRoles } from '../auth/roles.ts';
import { timestamp } from './common.ts';

export const keyRole = z.enum(keyRoles).openapi({ description: "`worker` keys may use only the worker endpoints; the others act with the weaker of this role and the user's membership role." });

export const ApiKeyCreate = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: keyRole.default('member'),
    user_id: z.string().min(1).max(64).optional().openapi({ description: 'Whose key this is (admins only); defaults to the caller.' }),
  })
  .openapi('ApiKeyCreate');

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: 'The first characters of the key, to tell keys apart.', example: 'fc_AbCdEfGh' }),
    role: keyRole,
    user_id: z.string(),
    workspace_id: z.string().openapi({ description: 'The workspace the key was created in.' }),
    created_by: z.string().nullable().openapi({ description: 'The user who created the key (null for keys created before this was recorded).' }),
    workspace_only: z.boolean().openapi({
      description:
        'Whether the key acts only in `workspace_id` (and in workspaces it created): worker keys, keys created for someone else, and keys created with such a key. Otherwise it works wherever its user is a member, capped by its role.',
    }),
    created_at: timestamp,
    last_used_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
  })
  .openapi('ApiKey');

export const ApiKeyCreated = ApiKey.extend({
  key: z.string().openapi({ description: 'The key itself. Shown only in this response; store it now.' }),
}).openapi('ApiKeyCreated');

export type ApiKeyCreate = z.infer<typeof ApiKeyCreate>;
export type ApiKey = z.infer<typeof ApiKey>;
export type ApiKeyCreated = z.infer<typeof ApiKeyCreated>;
