// Wire schemas for users as seen by themselves.
import { z } from '@hono/zod-openapi';
import { keyRoles } from '../auth/roles.ts';
import { timestamp } from './common.ts';

export const Me = z
  .object({
    id: z.string(),
    username: z.string(),
    display_name: z.string().nullable(),
    created_at: timestamp,
    role: z.enum(keyRoles).openapi({ description: "The caller's effective role in the current workspace: the weaker of the key's role and the membership's." }),
    workspace_id: z.string().openapi({ description: 'The current workspace (`X-Workspace-ID`).' }),
  })
  .openapi('Me');

export type Me = z.infer<typeof Me>;
