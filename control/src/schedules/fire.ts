// Firing schedules: for each one due, decide what its fire does (a run, or a skip and why), then
// record the fire under its unique (schedule, instant), create the run from the job's current
// settings and advance the schedule, all in one D1 batch, so an instant fires once whatever races it.
import { enqueueScheduledRun } from '../queue/transitions.ts';
import { newId } from '../db/ids.ts';
import type { Env } from '../env.ts';
import { NOW } from '../queue/sql.ts';
import { lastFireTime, nextFireTime } from './cron.ts';

/** A fire this much after its instant counts as missed (the control plane was away), not merely late. */
export const MISFIRE_AFTER_MS = 60_000;
/** Due schedules taken per query, and fired per D1 batch. */
const DUE_PAGE = 200;
const BATCH = 50;

interface DueSchedule {
  id: string;
  workspace_id: string;
  job_definition_id: string;
  cron_expression: string;
  timezone: string;
  misfire: 'run_once' | 'skip';
  overlap: 'allow' | 'skip';
  next_run_at: string;
  /** The schedule's newest run still queued or running, if any. */
  active_run: string | null;
  now: string;
}

export type FirePlan =
  | { scheduleId: string; outcome: 'run'; scheduledFor: string; runId: string; nextRunAt: string | null; due: DueSchedule }
  | { scheduleId: string; outcome: 'skipped'; scheduledFor: string; reason: string; nextRunAt: string | null; due: DueSchedule };

export interface Fired {
  runs: { scheduleId: string; runId: string; scheduledFor: string }[];
  skipped: { scheduleId: string; scheduledFor: string; reason: string }[];
}

const DUE = `
SELECT s.id, s.workspace_id, s.job_definition_id, s.cron_expression, s.timezone, s.misfire, s.overlap, s.next_run_at,
       (SELECT r.id FROM job_runs r WHERE r.schedule_id = s.id AND r.status IN ('queued', 'assigned', 'running')
         ORDER BY r.created_at DESC LIMIT 1) AS active_run,
       ${NOW} AS now
  FROM schedules s
 WHERE s.workspace_id = ?1 AND s.enabled = 1 AND s.next_run_at IS NOT NULL AND s.next_run_at <= ${NOW}
 ORDER BY s.next_run_at
 LIMIT ?2`;

/** What one due schedule's fire does: the instant it stands for, a run or a skip, and the next instant. */
export function planFire(due: DueSchedule): FirePlan {
  const now = new Date(due.now);
  let scheduledFor = due.next_run_at;
  const missed = now.getTime() - Date.parse(due.next_run_at) > MISFIRE_AFTER_MS;
  // However many instants went by while the control plane was away, they count as one: the latest.
  if (missed) scheduledFor = lastFireTime(due.cron_expression, due.timezone, now)?.toISOString() ?? due.next_run_at;
  const after = new Date(Math.max(now.getTime(), Date.parse(scheduledFor)));
  const nextRunAt = nextFireTime(due.cron_expression, due.timezone, after)?.toISOString() ?? null;
  const base = { scheduleId: due.id, scheduledFor, nextRunAt, due };
  if (missed && due.misfire === 'skip') {
    return { ...base, outcome: 'skipped', reason: `missed while the control plane was away (due ${due.next_run_at}); misfire is skip` };
  }
  if (due.overlap === 'skip' && due.active_run) {
    return { ...base, outcome: 'skipped', reason: `the previous run ${due.active_run} is still queued or running; overlap is skip` };
  }
  return { ...base, outcome: 'run', runId: newId() };
}

const RECORD_RUN = `
INSERT OR IGNORE INTO schedule_fires (id, schedule_id, workspace_id, scheduled_for, fired_at, outcome, run_id)
SELECT ?1, ?2, ?3, ?4, ${NOW}, 'run', ?5 WHERE EXISTS (SELECT 1 FROM job_runs WHERE id = ?5)`;

const RECORD_SKIP = `
INSERT OR IGNORE INTO schedule_fires (id, schedule_id, workspace_id, scheduled_for, fired_at, outcome, reason)
VALUES (?1, ?2, ?3, ?4, ${NOW}, 'skipped', ?5)`;

// Only from the instant that was due: a schedule edited meanwhile keeps what the edit gave it.
const ADVANCE = `
UPDATE schedules
   SET next_run_at = ?2, updated_at = ${NOW},
       last_run_at = CASE WHEN ?3 IS NOT NULL AND EXISTS (SELECT 1 FROM job_runs WHERE id = ?3) THEN ${NOW} ELSE last_run_at END,
       last_run_id = CASE WHEN ?3 IS NOT NULL AND EXISTS (SELECT 1 FROM job_runs WHERE id = ?3) THEN ?3 ELSE last_run_id END
 WHERE id = ?1 AND next_run_at = ?4`;

function statements(d1: D1Database, plan: FirePlan): D1PreparedStatement[] {
  const { due } = plan;
  const advance = d1.prepare(ADVANCE).bind(plan.scheduleId, plan.nextRunAt, plan.outcome === 'run' ? plan.runId : null, due.next_run_at);
  if (plan.outcome === 'skipped') return [d1.prepare(RECORD_SKIP).bind(newId(), plan.scheduleId, due.workspace_id, plan.scheduledFor, plan.reason), advance];
  const run = { runId: plan.runId, scheduleId: plan.scheduleId, workspaceId: due.workspace_id, jobId: due.job_definition_id, scheduledFor: plan.scheduledFor };
  return [enqueueScheduledRun(d1, run), d1.prepare(RECORD_RUN).bind(newId(), plan.scheduleId, due.workspace_id, plan.scheduledFor, plan.runId), advance];
}

/** Fires every schedule of the workspace that is due now; answers what was created and what skipped. */
export async function fireDue(env: Env, workspaceId: string): Promise<Fired> {
  const fired: Fired = { runs: [], skipped: [] };
  // Every page fires and advances what it took, so the pages run out; the bound only guards a bug.
  for (let page = 0; page < 100; page++) {
    const { results } = await env.DB.prepare(DUE).bind(workspaceId, DUE_PAGE).all<DueSchedule>();
    if (results.length === 0) return fired;
    const plans = results.map(planFire);
    for (let i = 0; i < plans.length; i += BATCH) {
      const chunk = plans.slice(i, i + BATCH);
      const outcome = await env.DB.batch(chunk.flatMap((plan) => statements(env.DB, plan)));
      let at = 0;
      for (const plan of chunk) {
        // The run's insert is the first statement of its plan: it changed a row only if this instant had not fired.
        if (plan.outcome === 'run' && (outcome[at]?.meta.changes ?? 0) > 0) fired.runs.push({ scheduleId: plan.scheduleId, runId: plan.runId, scheduledFor: plan.scheduledFor });
        if (plan.outcome === 'skipped' && (outcome[at]?.meta.changes ?? 0) > 0) fired.skipped.push({ scheduleId: plan.scheduleId, scheduledFor: plan.scheduledFor, reason: plan.reason });
        at += plan.outcome === 'run' ? 3 : 2;
      }
    }
    // A schedule whose advance lost to an edit is no longer due; every one that was has moved on.
    if (results.length < DUE_PAGE) return fired;
  }
  return fired;
}

/** Fires one schedule now, outside its cron (POST /schedules/{id}/run); its next instant is unchanged. */
export async function fireNow(env: Env, workspaceId: string, scheduleId: string): Promise<string | null> {
  const runId = newId();
  const schedule = await env.DB.prepare(`SELECT job_definition_id, ${NOW} AS now FROM schedules WHERE id = ?1 AND workspace_id = ?2`)
    .bind(scheduleId, workspaceId)
    .first<{ job_definition_id: string; now: string }>();
  if (!schedule) return null;
  const run = { runId, scheduleId, workspaceId, jobId: schedule.job_definition_id, scheduledFor: schedule.now };
  const [created] = await env.DB.batch([
    enqueueScheduledRun(env.DB, run),
    env.DB.prepare(RECORD_RUN).bind(newId(), scheduleId, workspaceId, schedule.now, runId),
    env.DB.prepare(`UPDATE schedules SET last_run_at = ${NOW}, last_run_id = ?2, updated_at = ${NOW} WHERE id = ?1 AND EXISTS (SELECT 1 FROM job_runs WHERE id = ?2)`).bind(scheduleId, runId),
  ]);
  return (created?.meta.changes ?? 0) > 0 ? runId : null;
}

/** When the workspace's next enabled schedule is due, or null when none is. */
export async function nextDue(env: Env, workspaceId: string): Promise<number | null> {
  const row = await env.DB.prepare('SELECT MIN(next_run_at) AS next FROM schedules WHERE workspace_id = ?1 AND enabled = 1').bind(workspaceId).first<{ next: string | null }>();
  return row?.next ? Date.parse(row.next) : null;
}

/** Workspaces with an enabled schedule overdue by more than a minute: the cron's backstop puts their alarms back. */
export async function workspacesWithOverdueSchedules(env: Env): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT DISTINCT workspace_id FROM schedules WHERE enabled = 1 AND next_run_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds')`,
  ).all<{ workspace_id: string }>();
  return results.map((r) => r.workspace_id);
}
