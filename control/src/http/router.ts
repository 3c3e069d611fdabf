// Creates the typed routers every resource uses, with validation failures turned into 422 envelopes.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.ts';
import { fromZodError } from './errors.ts';

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, _c) => {
      // The validator hands the hook the value it parsed as `data` as well, though its types leave it out.
      if (!result.success) throw fromZodError(result.error, result.target, (result as { data?: unknown }).data);
    },
  });
}
