// Every run of the workspace, newest first and live: filtered by status and job (kept in the
// address, so the overview's counts link straight to `?status=…`), more loaded on request.
import { useLocation } from 'preact-iso';
import type { Job, Run, RunStatus } from '../api/types.ts';
import { Field } from '../components/form.tsx';
import { Empty, Loaded } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { RunTable } from '../components/run-table.tsx';
import { runStatuses } from '../../../control/src/contract/statuses.ts';
import { useList, useResource } from '../state/live.ts';
import { canEdit } from '../state/session.ts';

const PAGE_SIZE = 50;

function statusOf(value: string | undefined): RunStatus | '' {
  return (runStatuses as readonly string[]).includes(value ?? '') ? (value as RunStatus) : '';
}

export default function Runs() {
  const { query, route } = useLocation();
  const status = statusOf(query.status);
  const jobId = query.job_id ?? '';
  const runs = useList<Run>('/runs', ['runs'], { status, job_id: jobId }, PAGE_SIZE);
  const jobs = useResource<Job[]>('/jobs', ['jobs'], { query: { limit: 500 } });

  const filter = (changes: { status?: string; job_id?: string }) => {
    const next = new URLSearchParams();
    const merged = { status, job_id: jobId, ...changes };
    if (merged.status) next.set('status', merged.status);
    if (merged.job_id) next.set('job_id', merged.job_id);
    const qs = next.toString();
    route(`/runs${qs ? `?${qs}` : ''}`, true);
  };
  const filtered = status !== '' || jobId !== '';
  const jobName = jobs.data?.find((j) => j.id === jobId)?.name;

  return (
    <Page
      title="Runs"
      actions={
        canEdit.value && (
          <a class="button primary" href="/runs/new">
            New run
          </a>
        )
      }
    >
      <search class="filters" aria-label="Filter runs">
        <Field label="Status">
          {(f) => (
            <select {...f} value={status} onChange={(e) => filter({ status: e.currentTarget.value })}>
              <option value="">All statuses</option>
              {runStatuses.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Job">
          {(f) => (
            <select {...f} value={jobId} onChange={(e) => filter({ job_id: e.currentTarget.value })}>
              <option value="">All jobs and ad-hoc runs</option>
              {jobId && !jobName && <option value={jobId}>{jobId}</option>}
              {jobs.data?.map((j) => (
                <option key={j.id} value={j.id}>
                  {j.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        {filtered && (
          <button type="button" class="ghost" onClick={() => route('/runs', true)}>
            Clear filters
          </button>
        )}
      </search>
      <Loaded resource={runs} what="runs">
        {(list) =>
          list.length === 0 ? (
            <Empty>{filtered ? 'No runs match these filters.' : 'No runs yet. Start one with New run, or run a job.'}</Empty>
          ) : (
            <>
              <RunTable runs={list} caption={`Runs${status ? `, ${status}` : ''}${jobName ? ` of ${jobName}` : ''}`} />
              <div class="list-foot">
                <span class="muted" role="status">
                  {list.length} {list.length === 1 ? 'run' : 'runs'} shown{runs.more ? '; more are older' : ''}
                </span>
                {runs.more && (
                  <button type="button" onClick={runs.loadMore} disabled={runs.loading}>
                    Load more
                  </button>
                )}
              </div>
            </>
          )
        }
      </Loaded>
    </Page>
  );
}
