// The drizzle handle over the D1 binding; every query module takes one of these.
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema.ts';

const connect = (d1: D1Database) => drizzle(d1, { schema });

export type Db = ReturnType<typeof connect>;

/** One handle per binding: making one works out the schema's relations, which no request should pay for again. */
const handles = new WeakMap<D1Database, Db>();

export function openDb(d1: D1Database): Db {
  let db = handles.get(d1);
  if (!db) handles.set(d1, (db = connect(d1)));
  return db;
}

/**
 * `column IN (values)` as one bound JSON parameter: D1 allows at most 100 bound parameters per
 * statement, which drizzle's `inArray` (one per value) exceeds for long lists.
 */
export function inList(column: AnyColumn, values: readonly string[]): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
}
