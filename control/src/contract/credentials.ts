// Wire schemas for credentials: secrets a run receives as environment variables; the value is write-only.
import { z } from '@hono/zod-openapi';
import { envVarName, notBlank, timestamp } from './common.ts';

export const MAX_CREDENTIAL_VALUE_LENGTH = 65_536;

const credentialName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, "must be letters, digits or any of . _ -")
  .openapi({ description: 'Unique in the workspace; jobs and runs name credentials by this in `credential_ids`.', example: 'anthropic-api-key' });

const value = z
  .string()
  .min(1)
  .max(MAX_CREDENTIAL_VALUE_LENGTH)
  .refine(notBlank, 'must not be blank')
  .openapi({ description: 'The secret itself. Stored encrypted and never returned.', format: 'password', writeOnly: true });

const envVar = envVarName.openapi({ description: "The environment variable the agent's process receives the value in.", example: 'ANTHROPIC_API_KEY' });

const description = z.string().max(10_000);

export const CredentialCreate = z
  .object({
    name: credentialName,
    env_var: envVar,
    value,
    description: description.nullable().optional(),
  })
  .openapi('CredentialCreate');

// As the original: a field that is missing or null is left unchanged.
export const CredentialUpdate = z
  .object({
    name: credentialName.nullable(),
    env_var: envVar.nullable(),
    value: value.nullable(),
    description: description.nullable(),
  })
  .partial()
  .openapi('CredentialUpdate', { description: 'Only the fields sent change; null leaves a field as it is. A new value is encrypted again.' });

export const Credential = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    name: z.string(),
    env_var: z.string(),
    description: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi('Credential');

export type CredentialCreate = z.infer<typeof CredentialCreate>;
export type CredentialUpdate = z.infer<typeof CredentialUpdate>;
export type Credential = z.infer<typeof Credential>;
