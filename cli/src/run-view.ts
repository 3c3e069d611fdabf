// A run for people: its details as aligned lines, and how long it ran.
import type { Run } from '../../control/src/contract/runs.ts';
import { ago, details, duration, statusText, truncate } from './output.ts';

export function runDuration(run: Run): string {
  if (!run.started_at) return '-';
  const end = run.completed_at ? Date.parse(run.completed_at) : Date.now();
  return duration(end - Date.parse(run.started_at));
}

export function runDetails(run: Run): string {
  const tokens = run.total_tokens === null ? null : `${run.total_tokens} (${run.input_tokens ?? '?'} in, ${run.output_tokens ?? '?'} out)`;
  return details([
    ['id', run.id],
    ['name', run.name],
    ['status', statusText(run.status)],
    ['job', run.job_definition_id],
    ['rerun of', run.rerun_of],
    ['worker', run.worker_id],
    // A retry policy's attempts, when the run has one, rule lost workers too.
    ['attempt', `${run.attempt} of ${run.retry?.max_attempts ?? run.max_attempts}`],
    ['created', `${run.created_at} (${ago(run.created_at)})`],
    ['duration', runDuration(run) === '-' ? null : runDuration(run)],
    ['failure', run.failure_reason],
    ['tokens', tokens],
    ['cost', run.cost_usd === null ? null : `$${run.cost_usd.toFixed(4)}`],
    ['prompt', truncate(run.task_prompt, 200)],
    ['result', run.result],
  ]);
}
