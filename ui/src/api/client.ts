// The dashboard's only way to the control plane: /api/v1 with the signed-in key and the current
// workspace. Errors keep the API's envelope (code, detail, each offending field) for forms to show.
import { session, signOut } from '../state/session.ts';

export const API = '/api/v1';

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldError[];

  constructor(status: number, code: string, detail: string, fields: FieldError[] = []) {
    super(detail);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  /** The message for one form field, matched on its path (`agent_config.model`) or its last part. */
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field || f.field.startsWith(`${field}.`) || f.field.startsWith(`${field}[`))?.message;
  }
}

export interface RequestOptions {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as multipart/form-data. */
  form?: FormData;
  query?: Record<string, string | number | boolean | null | undefined>;
  /** Another key than the session's (sign-in checks a key before keeping it). */
  key?: string;
  workspace?: string;
  signal?: AbortSignal;
}

export function apiUrl(path: string, query: RequestOptions['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const qs = params.toString();
  return `${API}${path}${qs ? `?${qs}` : ''}`;
}

/** The raw response, or an ApiError; a 401 for the session's own key signs out. */
export async function send(path: string, options: RequestOptions = {}): Promise<Response> {
  const key = options.key ?? session.value?.key;
  const headers = new Headers();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  const workspace = options.workspace ?? session.value?.workspaceId;
  if (workspace) headers.set('X-Workspace-ID', workspace);
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(options.body);
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, options.query), { method: options.method ?? (body ? 'POST' : 'GET'), headers, body, signal: options.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'unreachable', 'The control plane could not be reached. Is it running?');
  }
  if (res.ok) return res;
  const text = await res.text();
  let parsed: { detail?: unknown; code?: unknown; fields?: FieldError[] } = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not our envelope (a proxy's page); the status says enough.
  }
  const detail = typeof parsed.detail === 'string' ? parsed.detail : `${res.status} ${res.statusText || 'error'}`;
  const error = new ApiError(res.status, typeof parsed.code === 'string' ? parsed.code : 'error', detail, Array.isArray(parsed.fields) ? parsed.fields : []);
  if (res.status === 401 && !options.key) signOut('Your key is no longer valid. Sign in again.');
  throw error;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await send(path, options);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A list page and the cursor of the next one, from the `Link: <…?cursor=…>; rel="next"` header. */
export async function apiPage<T>(path: string, options: RequestOptions = {}): Promise<{ items: T[]; next: string | null }> {
  const res = await send(path, options);
  const link = res.headers.get('Link') ?? '';
  const next = /<[^>]*[?&]cursor=([^&>]+)[^>]*>;\s*rel="next"/.exec(link)?.[1];
  return { items: (await res.json()) as T[], next: next ? decodeURIComponent(next) : null };
}

/** Saves a response body (an artifact, a log) as a file, fetched with the key rather than through a URL carrying it. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await send(path);
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const name = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ?? /filename="([^"]+)"/i.exec(disposition)?.[1];
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name ? decodeURIComponent(name) : fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
