// A schedule fires on its own as time passes: the Scheduler's alarm at its instant creates the run
// within two seconds, and moves the schedule on to its next instant.
import { describe, expect, it } from 'vitest';
import { freshWorkspace, until } from './clock.ts';

describe('schedules, as time passes', { timeout: 90_000 }, () => {
  it('creates a run within 2 s of the next minute, records its instant, and moves on to the one after', async () => {
    const ws = await freshWorkspace();
    const job = await ws.api('/jobs', { name: 'every minute', task_prompt: 'tick' }, 201);
    const schedule = await ws.api('/schedules', { job_definition_id: job.id, cron_expression: '* * * * *' }, 201);
    const instant = Date.parse(schedule.next_run_at);
    expect(instant - Date.now()).toBeLessThanOrEqual(60_000);

    let created: any;
    await until('the scheduled run', async () => {
      created = (await ws.api<any[]>(`/runs?job_id=${job.id}`)).find((r) => r.schedule_id === schedule.id);
      return created !== undefined;
    }, 70_000);
    expect(created.scheduled_for).toBe(schedule.next_run_at);
    expect(Date.parse(created.created_at) - instant).toBeGreaterThanOrEqual(0);
    expect(Date.parse(created.created_at) - instant).toBeLessThan(5_000);
    const after = await ws.api(`/schedules/${schedule.id}`);
    expect(after).toMatchObject({ last_run_id: created.id });
    expect(Date.parse(after.next_run_at)).toBe(instant + 60_000);
  });
});
