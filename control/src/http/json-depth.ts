// Refuses JSON bodies that nest deeper than MAX_JSON_DEPTH, before anything parses them: deep nesting
// costs parsers and validators far more than its size suggests.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.ts';
import { MAX_JSON_DEPTH } from '../limits.ts';
import { invalidField } from './errors.ts';

/** The deepest nesting of objects and arrays in JSON text, outside strings; stops counting past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // a backslash escapes the next character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return deepest;
}

export const limitJsonDepth = createMiddleware<AppEnv>(async function limitJsonDepth(c, next) {
  if (c.req.header('Content-Type')?.toLowerCase().includes('json')) {
    // Hono keeps the text, so the route's own parse reads it from there.
    if (jsonDepth(await c.req.text(), MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw invalidField('body', `nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  await next();
});
