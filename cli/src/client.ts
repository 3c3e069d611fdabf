// The REST client: Bearer key and workspace on every call, the API's error envelope turned into an
// ApiError, and lists read page by page through their `Link: rel="next"` headers.
import type { Settings } from './config.ts';
import { ApiError, CliError } from './errors.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface ListOptions {
  /** Stop after this many rows (default: all). */
  limit?: number | undefined;
  /** Rows per request. */
  pageSize?: number | undefined;
}

export class Client {
  readonly settings: Settings;

  constructor(settings: Settings) {
    this.settings = settings;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, { body });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PUT', path, { body });
  }

  async delete(path: string): Promise<void> {
    await this.request('DELETE', path);
  }

  /** Every row of a list, following `Link: rel="next"` until it is absent or `limit` rows are read. */
  async list<T>(path: string, query: Query = {}, options: ListOptions = {}): Promise<T[]> {
    const rows: T[] = [];
    const limit = options.limit ?? Infinity;
    // Lists take up to 500 rows a page and a run's log 10,000; the caller asks for what its list allows.
    const pageSize = Math.min(options.pageSize ?? 100, limit);
    let next: string | null = this.url(path, { ...query, limit: pageSize });
    while (next !== null && rows.length < limit) {
      const response = await this.request('GET', next);
      rows.push(...((await response.json()) as T[]));
      const link = nextLink(response.headers.get('link'));
      next = link === null ? null : new URL(link, this.settings.url).toString();
    }
    return rows.slice(0, limit);
  }

  /** A multipart upload. */
  async form<T>(method: string, path: string, form: FormData): Promise<T> {
    return (await (await this.request(method, path, { body: form })).json()) as T;
  }

  /** The raw response of a successful call (a download, a page with headers). */
  async request(method: string, pathOrUrl: string, init: { body?: unknown; query?: Query | undefined } = {}): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : this.url(pathOrUrl, init.query);
    const headers: Record<string, string> = { 'X-Workspace-ID': this.settings.workspace, Accept: 'application/json' };
    if (this.settings.apiKey) headers['Authorization'] = `Bearer ${this.settings.apiKey}`;
    let body: BodyInit | undefined;
    if (init.body instanceof FormData) body = init.body;
    else if (init.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
    } catch (err) {
      throw new CliError(`cannot reach ${this.settings.url}: ${reason(err)}`);
    }
    if (!response.ok) throw await apiError(response);
    return response;
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(`${this.settings.url}/api/v1${path}`);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    return url.toString();
  }

  private async json<T>(method: string, path: string, init: { body?: unknown; query?: Query | undefined }): Promise<T> {
    const response = await this.request(method, path, init);
    return (await response.json()) as T;
  }
}

/** The URL of `rel="next"` in a Link header, if there is one. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1] ?? null;
  }
  return null;
}

async function apiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const envelope = JSON.parse(text) as { detail?: unknown; code?: unknown };
    if (typeof envelope.detail === 'string') {
      return new ApiError(response.status, typeof envelope.code === 'string' ? envelope.code : 'error', envelope.detail);
    }
  } catch {
    // Not the API's envelope: a proxy's page, say.
  }
  return new ApiError(response.status, 'http_error', `${response.status} ${response.statusText || 'error'} from ${new URL(response.url || 'http://x').pathname}`);
}

export function reason(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? err.cause : null;
    const code = cause && 'code' in cause ? String(cause.code) : '';
    return code || cause?.message || err.message;
  }
  return String(err);
}
