// A benchmark-only Worker entry: the real control plane, with every D1 statement it executes counted
// (the app's routes and both Durable Objects share this isolate's counter). GET /api/__bench/d1 reads it.
import worker, { Dispatcher as RealDispatcher, RunHub as RealRunHub, Scheduler as RealScheduler, WebhookSender, WorkspaceFeed } from '../control/src/index.ts';
import type { Env } from '../control/src/env.ts';

const executed: { at: number; sql: string }[] = [];
/** Our stand-in statement → the real one (what D1's batch needs) and its SQL. */
const real = new WeakMap<object, D1PreparedStatement>();
const sqlOf = new WeakMap<object, string>();

function note(sql: string): void {
  executed.push({ at: Date.now(), sql: sql.replace(/\s+/g, ' ').trim().slice(0, 60) });
}

function countingStatement(stmt: D1PreparedStatement, sql: string): D1PreparedStatement {
  const wrapped = {
    bind: (...values: unknown[]) => countingStatement(stmt.bind(...values), sql),
    first: (column?: string) => (note(sql), column === undefined ? stmt.first() : stmt.first(column)),
    all: () => (note(sql), stmt.all()),
    run: () => (note(sql), stmt.run()),
    raw: (options?: { columnNames?: boolean }) => (note(sql), stmt.raw(options as { columnNames: true })),
  };
  real.set(wrapped, stmt);
  sqlOf.set(wrapped, sql);
  return wrapped as unknown as D1PreparedStatement;
}

function countingD1(db: D1Database): D1Database {
  return {
    prepare: (sql: string) => countingStatement(db.prepare(sql), sql),
    batch: (statements: D1PreparedStatement[]) => {
      for (const s of statements) note(sqlOf.get(s) ?? '?');
      return db.batch(statements.map((s) => real.get(s) ?? s));
    },
    exec: (sql: string) => (note(sql), db.exec(sql)),
    dump: () => db.dump(),
    withSession: (constraint?: string) => db.withSession(constraint),
  } as D1Database;
}

const counted = (env: Env): Env => ({ ...env, DB: countingD1(env.DB) });

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/api/__bench/d1') return Response.json(executed);
    return worker.fetch(request, counted(env), ctx);
  },
  scheduled: (controller, env, ctx) => worker.scheduled(controller, counted(env), ctx),
} satisfies ExportedHandler<Env>;

export class Dispatcher extends RealDispatcher {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env));
  }
}

export class RunHub extends RealRunHub {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env));
  }
}

export class Scheduler extends RealScheduler {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env));
  }
}

export { WebhookSender, WorkspaceFeed };
