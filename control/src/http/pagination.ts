// Keyset pagination: `limit` and an opaque `cursor` in, a bare array and a `Link: rel="next"` header out.
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ApiError } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

export const pageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ description: `Page size (1-${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}).` }),
  cursor: z.string().max(512).optional().openapi({ description: 'Opaque cursor from the previous page\'s `Link: rel="next"` header.' }),
});

/** The position after which the next page starts: the sort key and id of the last row served. */
export interface Cursor {
  key: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([cursor.key, cursor.id]));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function decodeCursor(raw: string | undefined): Cursor | null {
  if (raw === undefined || raw === '') return null;
  try {
    const b64 = raw.replaceAll('-', '+').replaceAll('_', '/');
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { key: value[0], id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new ApiError(422, 'validation_failed', 'cursor: is not a cursor this server issued', [
    { field: 'cursor', message: 'is not a cursor this server issued' },
  ]);
}

/**
 * Takes one row more than the page to learn whether a next page exists; answers the page and sets
 * the Link header when it does.
 */
export function paginate<T>(c: Context, rows: T[], limit: number, keyOf: (row: T) => Cursor): T[] {
  if (rows.length <= limit) return rows;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  if (last !== undefined) {
    const url = new URL(c.req.url);
    url.searchParams.set('cursor', encodeCursor(keyOf(last)));
    url.searchParams.set('limit', String(limit));
    c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  return page;
}
