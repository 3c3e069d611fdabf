// One error type and one JSON envelope for every failure the API reports.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';

export interface FieldError {
  field: string;
  message: string;
}

/** The body of every error response: `detail` is what the original's clients read. */
export interface ErrorBody {
  detail: string;
  code: string;
  fields?: FieldError[];
}

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly detail: string;
  readonly fields?: FieldError[];

  // Explicit fields, not parameter properties, so Node can load this module by type stripping.
  constructor(status: ContentfulStatusCode, code: string, detail: string, fields?: FieldError[]) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.fields = fields;
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const conflict = (detail: string) => new ApiError(409, 'conflict', detail);
export const forbidden = (detail: string) => new ApiError(403, 'forbidden', detail);
export const leaseLost = (detail = 'This worker no longer holds the run; stop working on it') => new ApiError(409, 'lease_lost', detail);
export const badRequest = (code: string, detail: string) => new ApiError(400, code, detail);

export function invalidField(field: string, message: string): ApiError {
  return new ApiError(422, 'validation_failed', `${field}: ${message}`, [{ field, message }]);
}

export function fromZodError(error: ZodError, target: string, raw?: unknown): ApiError {
  // A problem with the body as a whole (`null`, an array) names the body, not the validator's target.
  const whole = target === 'json' || target === 'form' ? 'body' : target;
  const fields = error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : whole,
    message: target === 'query' && givenTwice(raw, issue.path) ? 'is given more than once; give it once' : issue.message,
  }));
  const detail = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return new ApiError(422, 'validation_failed', detail || `invalid ${whole}`, fields);
}

/** A query parameter repeated in the URL arrives as an array, which the schema's own message would not explain. */
function givenTwice(query: unknown, path: PropertyKey[]): boolean {
  const name = path[0];
  return path.length === 1 && typeof name === 'string' && typeof query === 'object' && query !== null && Array.isArray((query as Record<string, unknown>)[name]);
}

export function errorResponse(c: Context, error: ApiError): Response {
  const body: ErrorBody = { detail: error.detail, code: error.code };
  if (error.fields) body.fields = error.fields;
  if (error.status === 401) c.header('WWW-Authenticate', 'Bearer');
  return c.json(body, error.status);
}

/** The app's one onError: known errors become envelopes; anything else is logged and answered generically. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 400 && /json/i.test(err.message)) {
      return errorResponse(c, new ApiError(400, 'malformed_json', 'Request body is not valid JSON'));
    }
    if (status === 413) {
      return errorResponse(c, new ApiError(413, 'payload_too_large', err.message || 'Request body is too large'));
    }
    if (status === 415) {
      const type = c.req.header('Content-Type');
      const detail = `Unsupported Content-Type ${type ? `'${type}'` : '(none sent)'}: JSON bodies are sent as application/json, and uploads (skills, artifacts) as multipart/form-data`;
      return errorResponse(c, new ApiError(415, 'unsupported_media_type', detail));
    }
    return errorResponse(c, new ApiError(status, 'http_error', err.message || 'Request failed'));
  }
  console.error(JSON.stringify({ msg: 'unhandled error', method: c.req.method, path: c.req.path, ...describeError(err) }));
  return errorResponse(c, new ApiError(500, 'internal_error', 'Internal server error'));
}

/**
 * What may be logged about an unexpected error: its class and the first line of its message (and of
 * its cause's). Query errors append their bound parameters after `params:`, and those can be
 * secrets, so everything from there on is cut.
 */
export function describeError(err: unknown): { error: string; message: string; cause?: { error: string; message: string } } {
  const summary = (e: unknown) => ({
    error: e instanceof Error ? `${e.constructor.name}${e.name !== e.constructor.name ? ` (${e.name})` : ''}` : typeof e,
    message: e instanceof Error ? safeFirstLine(e.message) : '',
  });
  const cause = err instanceof Error ? err.cause : undefined;
  return cause === undefined ? summary(err) : { ...summary(err), cause: summary(cause) };
}

const MAX_LOGGED_MESSAGE = 300;

function safeFirstLine(message: string): string {
  const line = message.split(/\r?\n/, 1)[0] ?? '';
  const params = line.search(/params:/i);
  const safe = (params === -1 ? line : line.slice(0, params)).trim();
  return safe.length > MAX_LOGGED_MESSAGE ? `${safe.slice(0, MAX_LOGGED_MESSAGE)}…` : safe;
}
