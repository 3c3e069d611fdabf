// The workspace's jobs: what each asks, its agent and limits, and (for members) run now, edit and
// delete with confirmation. Live: jobs created or changed elsewhere appear without a reload.
import type { Job, Run } from '../api/types.ts';
import { DeleteJobButton, useRunNow } from '../components/job-actions.tsx';
import { Empty, Loaded } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { StatusBadge } from '../components/status.tsx';
import { Ago } from '../components/time.tsx';
import { agentSummary } from '../lib/agent-form.ts';
import { useList } from '../state/live.ts';
import { canEdit } from '../state/session.ts';

function LastRun(props: { run: Run | undefined }) {
  if (!props.run) return <span class="muted">—</span>;
  return (
    <a href={`/runs/${props.run.id}`} class="plain-link">
      <StatusBadge status={props.run.status} /> <Ago at={props.run.created_at} />
    </a>
  );
}

export default function Jobs() {
  const jobs = useList<Job>('/jobs', ['jobs'], {}, 100);
  // The latest run of each job among the workspace's recent runs; older jobs show none.
  const recent = useList<Run>('/runs', ['runs'], {}, 200);
  const lastRun = new Map<string, Run>();
  for (const run of recent.data ?? []) if (run.job_definition_id && !lastRun.has(run.job_definition_id)) lastRun.set(run.job_definition_id, run);
  const { runNow, busy, notice } = useRunNow();
  const editor = canEdit.value;
  return (
    <Page
      title="Jobs"
      lede="Reusable tasks: run them now, on a schedule, or from the API."
      actions={
        editor && (
          <a class="button primary" href="/jobs/new">
            New job
          </a>
        )
      }
    >
      {notice}
      <Loaded resource={jobs} what="jobs">
        {(list) =>
          list.length === 0 ? (
            <Empty>No jobs yet.{editor ? ' Create one with New job.' : ''}</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Jobs</caption>
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Agent</th>
                    <th scope="col">Last run</th>
                    <th scope="col">Updated</th>
                    {editor && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {list.map((job) => (
                    <tr key={job.id}>
                      <td>
                        <a href={`/jobs/${job.id}`}>{job.name}</a>
                        <div class="muted small clamp">{job.description || job.task_prompt}</div>
                      </td>
                      <td class="small">{agentSummary(job)}</td>
                      <td>
                        <LastRun run={lastRun.get(job.id)} />
                      </td>
                      <td>
                        <Ago at={job.updated_at} />
                      </td>
                      {editor && (
                        <td>
                          <div class="actions nowrap" role="group" aria-label={`Actions for ${job.name}`}>
                            <button type="button" class="small" disabled={busy === job.id} onClick={() => runNow(job)}>
                              Run now
                            </button>
                            <a class="button small" href={`/jobs/${job.id}/edit`}>
                              Edit
                            </a>
                            <DeleteJobButton job={job} class="small danger" onDeleted={() => void jobs.reload()} />
                          </div>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
              {jobs.more && (
                <div class="list-foot">
                  <button type="button" onClick={jobs.loadMore}>
                    Load more
                  </button>
                </div>
              )}
            </div>
          )
        }
      </Loaded>
    </Page>
  );
}
