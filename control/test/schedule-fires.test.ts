// Schedules firing: exactly once per instant whatever races, missed instants after downtime, overlap,
// fire now, time zones across both daylight-saving changes, and alarms that follow the schedules.
// Instants "in the past" are set in D1 (an injected clock for what the Scheduler finds due); the
// firing on its own as time passes is in time/schedules.time.test.ts.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { fireDue } from '../src/schedules/fire.ts';
import { callJson, unique } from './helpers.ts';

async function scheduledJob(body: Record<string, unknown> = {}) {
  const slug = unique('sched');
  const ws = (await callJson<{ id: string }>('/workspaces', { body: { name: slug, slug } }, 201)).id;
  const api = <T = any>(path: string, init: { method?: string; body?: unknown } = {}, status?: number) => callJson<T>(path, { workspace: ws, ...init }, status);
  const job = await api('/jobs', { body: { name: 'nightly', task_prompt: 'report', labels: { pool: 'x' } } }, 201);
  const schedule = await api('/schedules', { body: { job_definition_id: job.id, cron_expression: '* * * * *', ...body } }, 201);
  const runs = async () => (await api<any[]>(`/runs?job_id=${job.id}&limit=500`)).filter((r) => r.schedule_id === schedule.id);
  const fires = () => api<any[]>(`/schedules/${schedule.id}/fires`);
  /** Makes the schedule due at `at` (as if that instant had come), as the Scheduler will find it in D1. */
  const dueAt = (at: Date) => env.DB.prepare('UPDATE schedules SET next_run_at = ?1 WHERE id = ?2').bind(at.toISOString(), schedule.id).run();
  const scheduler = env.SCHEDULER.get(env.SCHEDULER.idFromName(ws));
  return { ws, api, job, schedule, runs, fires, dueAt, scheduler };
}

const minuteFloor = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000);

describe('schedules firing', () => {
  it('fires a due instant once, whoever fires it how often at the same time', async () => {
    const s = await scheduledJob();
    const instant = minuteFloor(Date.now());
    await s.dueAt(instant);
    const results = await Promise.all([fireDue(env, s.ws), fireDue(env, s.ws), fireDue(env, s.ws)]);
    expect(results.flatMap((r) => r.runs)).toHaveLength(1);
    const [run] = await s.runs();
    expect(run).toMatchObject({ status: 'queued', schedule_id: s.schedule.id, scheduled_for: instant.toISOString(), required_labels: { pool: 'x' }, task_prompt: 'report' });
    // A retry of the same instant later (the cron after a lost alarm) finds it fired.
    await s.dueAt(instant);
    expect((await fireDue(env, s.ws)).runs).toEqual([]);
    expect(await s.runs()).toHaveLength(1);
    const schedule = await s.api(`/schedules/${s.schedule.id}`);
    expect(schedule).toMatchObject({ last_run_id: run.id });
    expect(Date.parse(schedule.next_run_at)).toBeGreaterThan(Date.now());
    expect((await s.fires()).map((f) => [f.outcome, f.scheduled_for, f.run_id])).toEqual([['run', instant.toISOString(), run.id]]);
  });

  it('after downtime fires once for the latest missed instant, not once per missed one (misfire run_once)', async () => {
    const s = await scheduledJob();
    await s.dueAt(new Date(Date.now() - 10 * 60_000));
    const fired = await fireDue(env, s.ws);
    expect(fired.runs).toHaveLength(1);
    const latest = minuteFloor(Date.now()).toISOString();
    expect(fired.runs[0]!.scheduledFor).toBe(latest);
    expect(await s.runs()).toHaveLength(1);
  });

  it('after downtime skips the missed instants with misfire skip, and records why', async () => {
    const s = await scheduledJob({ misfire: 'skip' });
    await s.dueAt(new Date(Date.now() - 10 * 60_000));
    const fired = await fireDue(env, s.ws);
    expect(fired.runs).toEqual([]);
    expect(await s.runs()).toEqual([]);
    const [fire] = await s.fires();
    expect(fire).toMatchObject({ outcome: 'skipped', run_id: null, reason: expect.stringContaining('missed while the control plane was away') });
  });

  it('skips a fire while the previous run is still queued with overlap skip, and allows it by default', async () => {
    const skipping = await scheduledJob({ overlap: 'skip' });
    const first = await skipping.api(`/schedules/${skipping.schedule.id}/run`, { method: 'POST' }, 201);
    await skipping.dueAt(minuteFloor(Date.now()));
    expect((await fireDue(env, skipping.ws)).skipped).toHaveLength(1);
    expect((await skipping.runs()).map((r) => r.id)).toEqual([first.id]);
    const skipped = (await skipping.fires()).find((f) => f.outcome === 'skipped');
    expect(skipped.reason).toContain(`the previous run ${first.id} is still queued or running`);

    const allowing = await scheduledJob();
    await allowing.api(`/schedules/${allowing.schedule.id}/run`, { method: 'POST' }, 201);
    await allowing.dueAt(minuteFloor(Date.now()));
    expect((await fireDue(env, allowing.ws)).runs).toHaveLength(1);
    expect(await allowing.runs()).toHaveLength(2);
  });

  it('fires now on request: a run of the job recorded as the schedule\'s, its next instant unchanged', async () => {
    const s = await scheduledJob();
    const run = await s.api(`/schedules/${s.schedule.id}/run`, { method: 'POST' }, 201);
    expect(run).toMatchObject({ status: 'queued', schedule_id: s.schedule.id, job_definition_id: s.job.id });
    expect(Date.parse(run.scheduled_for)).toBeLessThanOrEqual(Date.now());
    expect(await s.api(`/schedules/${s.schedule.id}`)).toMatchObject({ last_run_id: run.id, next_run_at: s.schedule.next_run_at });
    expect((await callJson(`/schedules/nope/run`, { workspace: s.ws, method: 'POST' })).code).toBe('not_found');
  });

  it('keeps the Scheduler\'s alarm on the next due schedule, and clears it when none is left to fire', async () => {
    const s = await scheduledJob();
    const alarm = () => runInDurableObject(s.scheduler, (_i, state) => state.storage.getAlarm());
    expect(await alarm()).toBe(Date.parse(s.schedule.next_run_at));
    await s.api(`/schedules/${s.schedule.id}`, { method: 'PUT', body: { enabled: false } }, 200);
    expect(await alarm()).toBeNull();
    await s.api(`/schedules/${s.schedule.id}`, { method: 'PUT', body: { enabled: true, cron_expression: '0 9 * * *', timezone: 'Asia/Tokyo' } }, 200);
    const nine = (await s.api(`/schedules/${s.schedule.id}`)).next_run_at as string;
    expect(new Date(nine).getUTCHours()).toBe(0);
    expect(await alarm()).toBe(Date.parse(nine));
    await s.api(`/jobs/${s.job.id}`, { method: 'DELETE' }, 204);
    expect(await alarm()).toBeNull();
  });
});

describe('schedule previews and time zones', () => {
  const preview = (query: string) => callJson<{ next: string[] }>(`/schedules/preview?${query}`, {}, 200);

  it('lists the next instants for a form, in UTC, for any IANA zone', async () => {
    const { next } = await preview('cron=0%209%20*%20*%20MON-FRI&timezone=Europe/Stockholm&count=3&from=2026-12-04T12:00:00Z');
    // Friday 4 December after nine, then Monday and Tuesday at 09:00 CET (08:00 UTC).
    expect(next).toEqual(['2026-12-07T08:00:00.000Z', '2026-12-08T08:00:00.000Z', '2026-12-09T08:00:00.000Z']);
    const bad = await callJson('/schedules/preview?cron=61%20*%20*%20*%20*', {}, 422);
    expect(bad.fields[0].field).toBe('cron');
  });

  it('fires a time in the hour skipped when clocks go forward once, right after the gap', async () => {
    // Stockholm, 29 March 2026: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that day.
    const { next } = await preview('cron=30%202%20*%20*%20*&timezone=Europe/Stockholm&count=3&from=2026-03-28T12:00:00Z');
    expect(next).toEqual(['2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  });

  it('fires a time in the hour repeated when clocks go back once, not twice', async () => {
    // Stockholm, 25 October 2026: 03:00 CEST falls back to 02:00 CET, so 02:00-03:00 happens twice.
    const daily = await preview('cron=30%202%20*%20*%20*&timezone=Europe/Stockholm&count=2&from=2026-10-24T12:00:00Z');
    expect(daily.next).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    const halfHourly = await preview('cron=*/30%20*%20*%20*%20*&timezone=Europe/Stockholm&count=4&from=2026-10-25T00:10:00Z');
    expect(halfHourly.next).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T02:30:00.000Z', '2026-10-25T03:00:00.000Z']);
  });
});
