// Schedule firing figures: 1,000 schedules due in the same minute. How long after their instant each
// run is created (p50/p99/max, the spread), and that every schedule fired exactly once.
// Usage: node bench/schedules.ts [--schedules 1000]
import { parseArgs } from 'node:util';
import { api, machine, percentile, startControlPlane } from './harness.ts';

const { values } = parseArgs({ options: { schedules: { type: 'string', default: '1000' } } });
const COUNT = Number(values.schedules);
const CREATE_CONCURRENCY = 20;
// Room to create them all before their instant, on a busy machine too.
const LEAD_MS = 240_000;

const cp = await startControlPlane();
try {
  console.log(`machine: ${machine()}`);
  const job = await api(cp.base, '/jobs', { body: { name: 'scheduled', task_prompt: 'tick' } });
  // An instant far enough ahead for every schedule to be created before it.
  const instant = new Date(Math.ceil((Date.now() + LEAD_MS) / 60_000) * 60_000);
  const cron = `${instant.getUTCMinutes()} ${instant.getUTCHours()} ${instant.getUTCDate()} ${instant.getUTCMonth() + 1} *`;
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i += CREATE_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(CREATE_CONCURRENCY, COUNT - i) }, () => api(cp.base, '/schedules', { body: { job_definition_id: job.id, cron_expression: cron } }));
    for (const s of await Promise.all(batch)) {
      if (s.next_run_at !== instant.toISOString()) throw new Error(`schedule due at ${s.next_run_at}, not ${instant.toISOString()}`);
      ids.push(s.id);
    }
  }
  console.log(`${ids.length} schedules due at ${instant.toISOString()} (cron '${cron}'), created with ${Math.round((instant.getTime() - Date.now()) / 1000)} s to spare`);

  await new Promise((r) => setTimeout(r, Math.max(0, instant.getTime() - Date.now() + 5_000)));
  const runs: { schedule_id: string; scheduled_for: string; created_at: string }[] = [];
  for (let cursor: string | undefined, deadline = Date.now() + 60_000; ; ) {
    const page = await fetch(`${cp.base}/api/v1/runs?job_id=${job.id}&limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: 'Bearer admin' } });
    runs.push(...((await page.json()) as typeof runs));
    cursor = /cursor=([^&>]+)/.exec(page.headers.get('link') ?? '')?.[1];
    if (cursor) continue;
    if (runs.length >= COUNT || Date.now() > deadline) break;
    runs.length = 0;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const perSchedule = new Map<string, number>();
  for (const run of runs) perSchedule.set(run.schedule_id, (perSchedule.get(run.schedule_id) ?? 0) + 1);
  const twice = [...perSchedule.values()].filter((n) => n > 1).length;
  const never = ids.filter((id) => !perSchedule.has(id)).length;
  const wrongInstant = runs.filter((r) => r.scheduled_for !== instant.toISOString()).length;
  const lateness = runs.map((r) => Date.parse(r.created_at) - instant.getTime()).sort((a, b) => a - b);
  console.log(
    `runs created after their instant: p50 ${percentile(lateness, 50)} ms, p99 ${percentile(lateness, 99)} ms, max ${lateness.at(-1)} ms, spread (first to last) ${(lateness.at(-1) ?? 0) - (lateness[0] ?? 0)} ms (n=${runs.length})`,
  );
  console.log(`schedules fired twice: ${twice}; never fired: ${never}; runs for another instant: ${wrongInstant}`);
  if (twice > 0 || never > 0 || wrongInstant > 0) process.exitCode = 1;
} finally {
  await cp.stop();
}
