// One job: its settings as a run would get them, the schedules that trigger it, and its run history
// with durations and outcomes, all live; members can run it now, edit or delete it.
import { useLocation, useRoute } from 'preact-iso';
import type { Job, Run, Schedule } from '../api/types.ts';
import { DeleteJobButton, useRunNow } from '../components/job-actions.tsx';
import { Empty, Loaded } from '../components/notice.tsx';
import { Page, Section } from '../components/page.tsx';
import { StatusBadge } from '../components/status.tsx';
import { Ago, Duration } from '../components/time.tsx';
import { agentSummary } from '../lib/agent-form.ts';
import { cost, count, duration, labels } from '../lib/format.ts';
import { useList, useResource } from '../state/live.ts';
import { canEdit } from '../state/session.ts';

function Chips(props: { items: string[]; none: string }) {
  if (props.items.length === 0) return <span class="muted">{props.none}</span>;
  return (
    <ul class="labels plain">
      {props.items.map((item) => (
        <li key={item} class="chip">
          {item}
        </li>
      ))}
    </ul>
  );
}

function mcpSummary(server: Record<string, unknown>): string {
  if (server.type === 'streamable_http') return `${String(server.uri ?? '')}`;
  const args = Array.isArray(server.args) ? server.args.map(String) : [];
  return [String(server.command ?? ''), ...args].join(' ');
}

function Settings(props: { job: Job }) {
  const { job } = props;
  const maxTurns = job.agent_config.max_turns;
  return (
    <Section title="Settings">
      <dl class="props">
        <dt>Prompt</dt>
        <dd>
          <pre class="prompt">{job.task_prompt}</pre>
        </dd>
        <dt>Agent</dt>
        <dd>
          {job.agent_type} · {agentSummary(job)}
          {typeof maxTurns === 'number' ? ` · at most ${maxTurns} turns` : ''}
        </dd>
        <dt>MCP servers</dt>
        <dd>
          {job.mcp_servers.length === 0 ? (
            <span class="muted">None</span>
          ) : (
            <ul class="plain">
              {job.mcp_servers.map((s) => (
                <li key={String(s.name)}>
                  <strong>{String(s.name)}</strong> <span class="muted">({s.type === 'streamable_http' ? 'HTTP' : 'stdio'})</span> <code>{mcpSummary(s)}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Credentials</dt>
        <dd>
          <Chips items={job.credential_ids} none="None" />
        </dd>
        <dt>Skills</dt>
        <dd>{job.skill_ids === null ? 'Every skill of the workspace' : <Chips items={job.skill_ids} none="None" />}</dd>
        <dt>Environment variables</dt>
        <dd>
          <Chips items={Object.keys(job.env_vars).sort()} none="None" />
        </dd>
        <dt>Required worker labels</dt>
        <dd>
          <Chips items={labels(job.labels)} none="Any worker" />
        </dd>
        <dt>Priority</dt>
        <dd>{job.priority}</dd>
        <dt>Timeout</dt>
        <dd>{duration(job.timeout_seconds * 1000)}</dd>
        <dt>Max attempts</dt>
        <dd>{job.max_attempts}</dd>
        <dt>Retries</dt>
        <dd>
          {job.retry
            ? `${job.retry.max_attempts - 1} on ${job.retry.on.join(', ')}; first after ${job.retry.backoff.initial_seconds} s, ×${job.retry.backoff.factor}, at most ${duration(job.retry.backoff.max_seconds * 1000)}`
            : <span class="muted">None</span>}
        </dd>
        <dt>Max concurrent runs</dt>
        <dd>{job.max_concurrent_runs ?? <span class="muted">No limit</span>}</dd>
        <dt>Created</dt>
        <dd>
          <Ago at={job.created_at} />
        </dd>
        <dt>Updated</dt>
        <dd>
          <Ago at={job.updated_at} />
        </dd>
        <dt>ID</dt>
        <dd class="mono">{job.id}</dd>
      </dl>
    </Section>
  );
}

function Schedules(props: { job: Job }) {
  const schedules = useList<Schedule>('/schedules', ['schedules'], {}, 500);
  return (
    <Section
      title="Schedules"
      actions={
        <a class="button small" href="/schedules">
          All schedules
        </a>
      }
    >
      <Loaded resource={schedules} what="schedules">
        {(all) => {
          const mine = all.filter((s) => s.job_definition_id === props.job.id);
          if (mine.length === 0) return <Empty>No schedule runs this job.</Empty>;
          return (
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Schedules of {props.job.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Schedule</th>
                    <th scope="col">Cron</th>
                    <th scope="col">State</th>
                    <th scope="col">Next</th>
                    <th scope="col">Last run</th>
                  </tr>
                </thead>
                <tbody>
                  {mine.map((s) => (
                    <tr key={s.id}>
                      <td>{s.name ?? <span class="muted">Unnamed</span>}</td>
                      <td>
                        <code>{s.cron_expression}</code> <span class="muted small">{s.timezone}</span>
                      </td>
                      <td>{s.enabled ? 'Enabled' : 'Disabled'}</td>
                      <td>
                        <Ago at={s.next_run_at} />
                      </td>
                      <td>{s.last_run_id ? <a href={`/runs/${s.last_run_id}`}>{s.last_run_at ? <Ago at={s.last_run_at} /> : s.last_run_id}</a> : <span class="muted">Never</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </Loaded>
    </Section>
  );
}

/** How the runs shown ended, in one line: counts per final status and the median duration. */
function historySummary(runs: Run[]): string {
  const byStatus = new Map<string, number>();
  for (const r of runs) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const parts = [...byStatus].map(([s, n]) => `${n} ${s}`);
  const durations = runs
    .filter((r) => r.started_at && r.completed_at)
    .map((r) => Date.parse(r.completed_at!) - Date.parse(r.started_at!))
    .sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)];
  return `${parts.join(', ')}${median !== undefined ? `; median duration ${duration(median)}` : ''}`;
}

function History(props: { job: Job }) {
  const runs = useList<Run>('/runs', ['runs'], { job_id: props.job.id }, 25);
  return (
    <Section
      title="Run history"
      actions={
        <a class="button small" href={`/runs?job_id=${encodeURIComponent(props.job.id)}`}>
          In the runs list
        </a>
      }
    >
      <Loaded resource={runs} what="the job's runs">
        {(list) =>
          list.length === 0 ? (
            <Empty>This job has not run yet.</Empty>
          ) : (
            <>
              <p class="muted">
                Latest {list.length}: {historySummary(list)}
              </p>
              <div class="table-wrap">
                <table>
                  <caption class="visually-hidden">Runs of {props.job.name}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Run</th>
                      <th scope="col">Outcome</th>
                      <th scope="col">Started</th>
                      <th scope="col">Duration</th>
                      <th scope="col" class="num">
                        Tokens
                      </th>
                      <th scope="col" class="num">
                        Cost
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((run) => (
                      <tr key={run.id}>
                        <td>
                          <a href={`/runs/${run.id}`}>{run.id}</a>
                          <div class="muted small">
                            {run.schedule_id ? 'scheduled' : run.rerun_of ? 're-run' : 'manual'}
                            {run.attempt > 1 ? ` · attempt ${run.attempt}` : ''}
                          </div>
                        </td>
                        <td>
                          <StatusBadge status={run.status} />
                          {run.failure_reason && <div class="muted small">{run.failure_reason}</div>}
                        </td>
                        <td>
                          <Ago at={run.started_at ?? run.created_at} />
                        </td>
                        <td>
                          <Duration from={run.started_at} to={run.completed_at} />
                        </td>
                        <td class="num">{count(run.total_tokens)}</td>
                        <td class="num">{cost(run.cost_usd)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {runs.more && (
                <div class="list-foot">
                  <button type="button" onClick={runs.loadMore}>
                    Load more
                  </button>
                </div>
              )}
            </>
          )
        }
      </Loaded>
    </Section>
  );
}

export default function JobDetail() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id ?? '';
  const job = useResource<Job>(`/jobs/${encodeURIComponent(id)}`, ['jobs']);
  const { runNow, busy, notice } = useRunNow();
  const current = job.data;
  return (
    <Page
      title={current?.name ?? 'Job'}
      lede={current?.description ?? undefined}
      actions={
        current &&
        canEdit.value && (
          <>
            <button type="button" class="primary" disabled={busy === current.id} onClick={() => runNow(current)}>
              Run now
            </button>
            <a class="button" href={`/jobs/${current.id}/edit`}>
              Edit
            </a>
            <DeleteJobButton job={current} onDeleted={() => route('/jobs')} />
          </>
        )
      }
    >
      {notice}
      <Loaded resource={job} what="the job">
        {(j) => (
          <>
            <Settings job={j} />
            <Schedules job={j} />
            <History job={j} />
          </>
        )}
      </Loaded>
    </Page>
  );
}
