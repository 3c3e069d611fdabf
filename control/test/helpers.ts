// Helpers for control-plane tests: call the Worker through its real fetch handler.
import { exports } from 'cloudflare:workers';

export const ADMIN_KEY = 'admin';

export interface CallOptions {
  method?: string;
  body?: unknown;
  /** Raw body text, sent as is (for malformed JSON tests). */
  rawBody?: string;
  /** A multipart body; fetch sets its content type with the boundary. */
  form?: FormData;
  key?: string | null;
  workspace?: string;
  headers?: Record<string, string>;
}

/** Calls /api/v1<path> as the bootstrap admin unless `key` says otherwise (null sends no key). */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const key = options.key === undefined ? ADMIN_KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.workspace) headers['x-workspace-id'] = options.workspace;
  let body: string | FormData | undefined;
  if (options.form !== undefined) body = options.form;
  else if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && options.form === undefined) headers['content-type'] ??= 'application/json';
  const url = path.startsWith('/') && !path.startsWith('/api/') && !path.startsWith('/openapi') && !path.startsWith('/docs') ? `http://fc.test/api/v1${path}` : `http://fc.test${path}`;
  return exports.default.fetch(url, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
}

/** Calls and parses JSON, failing the test with the body when the status is not the expected one. */
export async function callJson<T = any>(path: string, options: CallOptions = {}, expectStatus?: number): Promise<T> {
  const res = await call(path, options);
  const text = await res.text();
  if (expectStatus !== undefined && res.status !== expectStatus) {
    throw new Error(`${options.method ?? 'GET'} ${path}: expected ${expectStatus}, got ${res.status}: ${text}`);
  }
  return (text ? JSON.parse(text) : null) as T;
}
