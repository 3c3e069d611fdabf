// Checks cron expressions (five fields or a macro such as @daily) and finds when they fire in a time
// zone. Croner keeps daylight-saving changes right: an instant in a skipped hour fires once, shifted
// past the gap; a repeated hour fires once, not twice.
import { Cron } from 'croner';

const FIELDS = 'minute hour day-of-month month day-of-week';
const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

// IANA names only: Intl would also take offsets such as "+02:00", which no zone database knows.
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Croner counts day-of-month and month from zero in its messages; say the value the user wrote. */
function describeCronerError(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern:\s*/, '');
  return message.replace(/^Invalid value for (day|month): (-?\d+)$/, (_all, field: string, value: string) =>
    `Invalid value for ${field === 'day' ? 'day-of-month' : 'month'}: ${Number(value) + 1}`,
  );
}

function fieldCountProblem(expression: string): string | null {
  const trimmed = expression.trim();
  if (trimmed.startsWith('@')) {
    return MACROS.has(trimmed.toLowerCase()) ? null : `unknown macro '${trimmed}'; use one of ${[...MACROS].join(', ')}`;
  }
  const count = trimmed === '' ? 0 : trimmed.split(/\s+/).length;
  // Croner alone would also take seconds and year fields, and a bare ISO date as a one-off time.
  return count === 5 ? null : `expected 5 fields (${FIELDS}) or a macro such as @daily, got ${count}`;
}

/** Parses with croner in strict five-field mode; throws croner's error for a bad field. */
function compile(expression: string, timeZone: string): Cron {
  return new Cron(expression.trim(), { paused: true, mode: '5-part', timezone: timeZone });
}

/** Why `expression` is not a cron expression this API accepts, or null when it is one. */
export function cronProblem(expression: string): string | null {
  const problem = fieldCountProblem(expression);
  if (problem) return problem;
  let cron: Cron;
  try {
    cron = compile(expression, 'UTC');
  } catch (err) {
    return describeCronerError(err);
  }
  // E.g. "0 0 30 2 *": a valid pattern for a date that does not exist would leave next_run_at empty forever.
  return cron.nextRun(new Date()) === null ? 'it never fires (no date matches it)' : null;
}

// Many schedules share an expression and fire at the same instant (the top of the hour), and working
// out the next instant costs croner up to a millisecond: answers are kept, a bounded number of them.
const NEXT_CACHE_SIZE = 1000;
const nextCache = new Map<string, number | null>();

/** The first time after `after` at which `expression` fires in `timeZone`; the expression must be valid. */
export function nextFireTime(expression: string, timeZone: string, after: Date): Date | null {
  const key = `${expression}\u0000${timeZone}\u0000${after.getTime()}`;
  const known = nextCache.get(key);
  if (known !== undefined) return known === null ? null : new Date(known);
  const problem = fieldCountProblem(expression);
  if (problem) throw new Error(`Invalid cron expression '${expression}': ${problem}`);
  const next = compile(expression, timeZone).nextRun(after);
  if (nextCache.size >= NEXT_CACHE_SIZE) nextCache.clear();
  nextCache.set(key, next ? next.getTime() : null);
  return next;
}

/** Whether `name` is an IANA time zone the runtime knows, e.g. "UTC" or "Europe/Stockholm". */
export function isTimeZone(name: string): boolean {
  if (!ZONE_NAME.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The next `count` times after `after` at which `expression` fires in `timeZone`. */
export function nextFireTimes(expression: string, timeZone: string, after: Date, count: number): Date[] {
  const problem = fieldCountProblem(expression);
  if (problem) throw new Error(`Invalid cron expression '${expression}': ${problem}`);
  return compile(expression, timeZone).nextRuns(count, after);
}

/** The latest time at or before `at` at which `expression` fires in `timeZone`. */
export function lastFireTime(expression: string, timeZone: string, at: Date): Date | null {
  return compile(expression, timeZone).previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}
