// The drizzle handle over the D1 binding; every query module takes one of these.
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema.ts';

export type Db = ReturnType<typeof openDb>;

export function openDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

/**
 * `column IN (values)` as one bound JSON parameter: D1 allows at most 100 bound parameters per
 * statement, which drizzle's `inArray` (one per value) exceeds for long lists.
 */
export function inList(column: AnyColumn, values: readonly string[]): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
}
