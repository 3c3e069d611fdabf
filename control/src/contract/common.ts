// Building blocks shared by every resource's wire schemas.
import { z } from '@hono/zod-openapi';
import { MAX_LABELS } from '../limits.ts';

export const idParam = <K extends string>(name: K, description: string) =>
  z.object({
    [name]: z
      .string()
      .min(1)
      .max(64)
      .openapi({ param: { name, in: 'path' }, description }),
  } as Record<K, z.ZodString>);

export const timestamp = z.string().openapi({ description: 'ISO-8601 UTC timestamp', example: '2026-11-25T06:29:50.123Z' });

export const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name (letters, digits, _; not starting with a digit)')
  .max(128);

export const stringMap = z.record(z.string().min(1).max(128), z.string().max(4096)).openapi({ type: 'object', additionalProperties: { type: 'string' } });

/** Labels a worker advertises, or a run requires: a string map of at most MAX_LABELS entries. */
export const labelMap = stringMap
  .refine((labels) => Object.keys(labels).length <= MAX_LABELS, `must have at most ${MAX_LABELS} labels`)
  .openapi({ type: 'object', additionalProperties: { type: 'string' }, maxProperties: MAX_LABELS });

export const envMap = z.record(envVarName, z.string().max(65536)).openapi({ type: 'object', additionalProperties: { type: 'string' } });

/** Text that must say something: whitespace alone is refused as empty would be. */
export const notBlank = (text: string) => text.trim().length > 0;

/** What an agent is asked to do. Kept as sent (whitespace in a prompt can matter), but never blank. */
export const taskPrompt = z
  .string()
  .min(1)
  .max(200_000)
  .refine(notBlank, 'must not be blank')
  .openapi({ description: 'What the agent should do, in natural language.' });

export const nameList = (what: string) =>
  z
    .array(z.string().min(1).max(128))
    .max(100)
    .refine((names) => new Set(names).size === names.length, `must not name the same ${what} twice`);

export const ErrorSchema = z
  .object({
    detail: z.string().openapi({ description: 'What went wrong, for people (the original Flight Control\'s field).' }),
    code: z.string().openapi({ description: 'Machine-readable error code, e.g. validation_failed, not_found.' }),
    fields: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'For validation failures: each offending field and why.' }),
  })
  .openapi('Error');

const errorContent = { 'application/json': { schema: ErrorSchema } };

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {
  400: { description: 'Malformed request (e.g. body is not JSON)', content: errorContent },
  401: { description: 'Missing or invalid API key', content: errorContent },
  403: { description: 'Not a member of the workspace, or role too low', content: errorContent },
  404: { description: 'No such resource in this workspace', content: errorContent },
  409: { description: 'Conflicts with existing state', content: errorContent },
  413: { description: 'Request body too large', content: errorContent },
  415: { description: 'A body of a Content-Type the operation does not take', content: errorContent },
  422: { description: 'Validation failed; `fields` lists each problem', content: errorContent },
} as const;

/** An uploaded file: a multipart/form-data part with a filename (a text part is refused by name). */
export const uploadedFile = z.instanceof(File, { error: 'must be a file: a multipart/form-data part with a filename' }).openapi({ type: 'string', format: 'binary' });

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  body: { content: { 'application/json': { schema } }, required: true, ...(description ? { description } : {}) },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
