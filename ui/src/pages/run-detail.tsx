// One run: where it is on its way (queued → assigned → running → outcome, with times and the
// worker), its settings, tokens and cost, result or failure, attempts and artifacts, cancel and
// re-run, and its log, live. Everything follows the run as it changes.
import { useLocation, useRoute } from 'preact-iso';
import { useState } from 'preact/hooks';
import { api, download, type ApiError } from '../api/client.ts';
import type { Artifact, Run, RunAttempt } from '../api/types.ts';
import { ConfirmButton, CopyButton } from '../components/dialogs.tsx';
import { LogViewer } from '../components/log-viewer.tsx';
import { Empty, ErrorNotice, Loaded, Loading } from '../components/notice.tsx';
import { Page, Section } from '../components/page.tsx';
import { StatusBadge } from '../components/status.tsx';
import { Ago, Duration } from '../components/time.tsx';
import { bytes, cost, count, exactTime, labels } from '../lib/format.ts';
import { useResource } from '../state/live.ts';
import { canEdit } from '../state/session.ts';

const FINAL = new Set(['completed', 'failed', 'timeout', 'cancelled']);
const OUTCOME: Record<string, string> = { completed: 'Completed', failed: 'Failed', timeout: 'Timed out', cancelled: 'Cancelled' };

export default function RunDetail() {
  const { params } = useRoute();
  const id = params['id'] ?? '';
  const run = useResource<Run>(`/runs/${encodeURIComponent(id)}`, ['runs']);
  const attempts = useResource<RunAttempt[]>(`/runs/${encodeURIComponent(id)}/attempts`, ['runs']);
  const artifacts = useResource<Artifact[]>(`/runs/${encodeURIComponent(id)}/artifacts`, ['runs'], { query: { limit: 100 } });
  const r = run.data && run.data.id === id ? run.data : undefined;
  if (!r) {
    return (
      <Page title="Run">
        {run.error ? <ErrorNotice error={run.error} what="Could not load the run" /> : <Loading what="the run" />}
      </Page>
    );
  }
  const refresh = () => {
    void run.reload();
    void attempts.reload();
    void artifacts.reload();
  };
  return (
    <Page
      title={r.name}
      lede={
        <>
          <StatusBadge status={r.status} /> <span class="mono small">{r.id}</span>
          {r.cancel_requested_at && !FINAL.has(r.status) && <span class="muted"> · cancelling…</span>}
        </>
      }
      actions={canEdit.value && <RunActions run={r} onChange={refresh} />}
    >
      <Section title="Progress">
        <Timeline run={r} attempts={attempts.data ?? []} />
        {r.failure_reason || r.status === 'failed' || r.status === 'timeout' ? (
          <div class={`notice ${r.status === 'cancelled' ? 'warn' : 'error'}`}>
            <strong>{r.status === 'cancelled' ? 'Cancelled' : 'Why it failed'}: </strong>
            {failureText(r)}
          </div>
        ) : null}
        {r.status === 'queued' && r.waiting_reason ? (
          <div class="notice" role="status">
            <strong>Waiting: </strong>
            {r.waiting_reason === 'retry_backoff' ? (
              <>
                an attempt failed and the next may start <Ago at={r.available_at!} />.
              </>
            ) : r.waiting_reason === 'job_concurrency_limit' ? (
              'its job already has as many runs going as its limit allows; it starts when one ends.'
            ) : (
              'the workspace already has as many runs going as its limit allows; it starts when one ends.'
            )}
          </div>
        ) : null}
      </Section>
      <div class="run-columns">
        <Section title="Details">
          <RunProps run={r} attempts={attempts.data ?? []} />
        </Section>
        <Section title="Usage">
          <dl class="props">
            <dt>Tokens</dt>
            <dd>
              {count(r.total_tokens)}
              {r.total_tokens !== null && (
                <span class="muted">
                  {' '}
                  ({count(r.input_tokens)} in, {count(r.output_tokens)} out)
                </span>
              )}
            </dd>
            <dt>Cost</dt>
            <dd>{cost(r.cost_usd)}</dd>
            <dt>Duration</dt>
            <dd>
              <Duration from={r.started_at} to={r.completed_at} />
            </dd>
            <dt>Exit code</dt>
            <dd>{r.exit_code ?? '—'}</dd>
          </dl>
        </Section>
      </div>
      {r.result !== null && (
        <Section title="Result" actions={<CopyButton text={r.result} label="Copy result" />}>
          <pre class="result">{r.result}</pre>
        </Section>
      )}
      <Section title="Task">
        <details>
          <summary>Task prompt ({r.task_prompt.length.toLocaleString()} characters)</summary>
          <pre>{r.task_prompt}</pre>
        </details>
      </Section>
      <Section title="Log">
        <LogViewer key={r.id} runId={r.id} final={FINAL.has(r.status)} onStatus={refresh} />
      </Section>
      <Section title="Attempts">
        <Loaded resource={attempts} what="attempts">
          {(list) => (list.length === 0 ? <Empty>No worker has picked this run up yet.</Empty> : <AttemptTable attempts={list} />)}
        </Loaded>
      </Section>
      <Section title="Artifacts">
        <Loaded resource={artifacts} what="artifacts">
          {(list) => (list.length === 0 ? <Empty>{FINAL.has(r.status) ? 'This run left no artifacts.' : 'No artifacts yet; they are uploaded when the run ends.'}</Empty> : <ArtifactTable runId={r.id} artifacts={list} />)}
        </Loaded>
      </Section>
    </Page>
  );
}

function failureText(r: Run): string {
  switch (r.failure_reason) {
    case 'cancelled_by_user':
      return 'someone cancelled it.';
    case 'worker_lost':
      return 'the worker running it stopped answering.';
    case 'never_started':
      return 'workers claimed it again and again, and none of them started it.';
    case null:
      return r.status === 'timeout' ? `it ran longer than its ${r.timeout_seconds} s timeout.` : 'no reason was given.';
    default:
      return r.failure_reason;
  }
}

function RunActions(props: { run: Run; onChange: () => void }) {
  const { route } = useLocation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const r = props.run;
  const rerun = async () => {
    setBusy(true);
    setError(null);
    try {
      const created = await api<Run>(`/runs/${encodeURIComponent(r.id)}/rerun`, { method: 'POST' });
      route(`/runs/${created.id}`);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" disabled={busy} onClick={rerun}>
        Re-run
      </button>
      {!FINAL.has(r.status) && !r.cancel_requested_at && (
        <ConfirmButton
          label="Cancel run"
          title="Cancel this run?"
          confirmLabel="Stop the run"
          danger
          onConfirm={async () => {
            await api<Run>(`/runs/${encodeURIComponent(r.id)}/cancel`, { method: 'POST' });
            props.onChange();
          }}
        >
          <p>{r.status === 'queued' ? 'It leaves the queue at once.' : 'Its worker stops the agent; what it has logged so far is kept.'}</p>
        </ConfirmButton>
      )}
      {error && <ErrorNotice error={error} what="Could not re-run" />}
    </>
  );
}

type Step = { label: string; at: string | null; detail?: string | undefined; state: 'done' | 'now' | 'later' | 'skipped' };

/** How many attempts the run may have: its retry policy's when it has one (which then rules lost workers too). */
const attemptsAllowed = (r: Run) => r.retry?.max_attempts ?? r.max_attempts;

/** The run's way through the queue, one step per status; a step it skipped says so. */
export function timelineSteps(r: Run, attempts: RunAttempt[]): Step[] {
  const latest = attempts[attempts.length - 1];
  const worker = latest ? (latest.worker_name ?? latest.worker_id) : (r.worker_id ?? undefined);
  const final = FINAL.has(r.status);
  const claimed = latest !== undefined || r.status === 'assigned' || r.status === 'running' || r.started_at !== null;
  const started = r.started_at !== null || r.status === 'running';
  const tail = (reached: boolean, current: boolean): Step['state'] => (reached ? (current ? 'now' : 'done') : final ? 'skipped' : 'later');
  return [
    { label: 'Queued', at: r.created_at, state: r.status === 'queued' ? 'now' : 'done', detail: r.attempt > 1 ? `attempt ${r.attempt} of ${attemptsAllowed(r)}` : undefined },
    { label: 'Assigned', at: latest?.claimed_at ?? null, detail: worker ? `to ${worker}` : undefined, state: tail(claimed, r.status === 'assigned') },
    { label: 'Running', at: r.started_at, detail: worker && started ? `on ${worker}` : undefined, state: tail(started, r.status === 'running') },
    { label: final ? OUTCOME[r.status]! : 'Outcome', at: r.completed_at, state: final ? 'done' : 'later' },
  ];
}

const STEP_TEXT: Record<Step['state'], string> = { done: 'done', now: 'now', later: 'not yet', skipped: 'skipped' };

function Timeline(props: { run: Run; attempts: RunAttempt[] }) {
  const steps = timelineSteps(props.run, props.attempts);
  return (
    <ol class="timeline" aria-label="Timeline">
      {steps.map((s, i) => (
        <li key={s.label} class={`step step-${s.state}${i === steps.length - 1 ? ` outcome-${props.run.status}` : ''}`} aria-current={s.state === 'now' ? 'step' : undefined}>
          <span class="dot" aria-hidden="true" />
          <span class="step-label">{s.label}</span>
          <span class="visually-hidden"> ({STEP_TEXT[s.state]})</span>
          <span class="step-when small">{s.at ? <Ago at={s.at} /> : <span class="muted">{s.state === 'skipped' ? 'skipped' : '—'}</span>}</span>
          {s.detail && <span class="step-detail small muted">{s.detail}</span>}
        </li>
      ))}
    </ol>
  );
}

function RunProps(props: { run: Run; attempts: RunAttempt[] }) {
  const r = props.run;
  const config = r.agent_config as { provider?: string; model?: string };
  const latest = props.attempts[props.attempts.length - 1];
  const required = labels(r.required_labels);
  return (
    <dl class="props">
      <dt>Run id</dt>
      <dd class="mono small">{r.id}</dd>
      <dt>Started from</dt>
      <dd>
        {r.job_definition_id ? <a href={`/jobs/${r.job_definition_id}`}>its job</a> : 'an ad-hoc request'}
        {r.schedule_id && (
          <>
            {' '}
            by <a href="/schedules">a schedule</a>
            {r.scheduled_for && <span class="muted"> for {exactTime(r.scheduled_for)}</span>}
          </>
        )}
        {r.rerun_of && (
          <>
            {' '}
            as a re-run of <a href={`/runs/${r.rerun_of}`}>{r.rerun_of}</a>
          </>
        )}
      </dd>
      <dt>Worker</dt>
      <dd>{latest ? (latest.worker_name ?? latest.worker_id) : (r.worker_id ?? <span class="muted">none yet</span>)}</dd>
      <dt>Agent</dt>
      <dd>
        {r.agent_type}
        {config.provider && ` · ${config.provider}`}
        {config.model && ` · ${config.model}`}
      </dd>
      <dt>Attempt</dt>
      <dd>
        {r.attempt > 0 ? (
          `${r.attempt} of ${attemptsAllowed(r)}`
        ) : (
          // No attempt has started: the run is waiting, or it ended before any did.
          <span class="muted">
            {FINAL.has(r.status) ? 'none started' : 'none yet'} (up to {attemptsAllowed(r)})
          </span>
        )}
      </dd>
      <dt>Priority</dt>
      <dd>{r.priority}</dd>
      <dt>Timeout</dt>
      <dd>{r.timeout_seconds} s</dd>
      <dt>Required labels</dt>
      <dd>{required.length === 0 ? <span class="muted">any worker</span> : <span class="labels">{required.map((l) => <span class="chip" key={l}>{l}</span>)}</span>}</dd>
      <dt>Skills</dt>
      <dd>{r.skills ? (r.skills.length === 0 ? 'none' : r.skills.map((s) => s.name).join(', ')) : r.skill_ids === null ? 'all of the workspace’s' : r.skill_ids.join(', ') || 'none'}</dd>
      <dt>Created</dt>
      <dd>
        <Ago at={r.created_at} />
      </dd>
    </dl>
  );
}

function AttemptTable(props: { attempts: RunAttempt[] }) {
  return (
    // Focusable, so that on a narrow screen the keyboard can scroll it sideways.
    <div class="table-wrap" role="region" aria-label="Attempts table" tabIndex={0}>
      <table>
        <caption class="visually-hidden">Attempts</caption>
        <thead>
          <tr>
            <th scope="col" class="num">
              #
            </th>
            <th scope="col">Worker</th>
            <th scope="col">Claimed</th>
            <th scope="col">Ran for</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {props.attempts.map((a) => (
            <tr key={a.attempt}>
              <td class="num">{a.attempt}</td>
              <td>{a.worker_name ?? <span class="mono small">{a.worker_id}</span>}</td>
              <td>
                <Ago at={a.claimed_at} />
              </td>
              <td>
                <Duration from={a.started_at} to={a.ended_at} />
              </td>
              <td>
                {a.outcome ? <StatusBadge status={a.outcome} /> : <span class="muted">in progress</span>}
                {a.detail && <div class="small muted">{a.detail}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ArtifactTable(props: { runId: string; artifacts: Artifact[] }) {
  const [error, setError] = useState<Error | null>(null);
  return (
    <>
      <ErrorNotice error={error} what="Could not download" />
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Artifacts</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Uploaded</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.artifacts.map((a) => (
              <tr key={a.id}>
                <td>
                  <span class="mono">{a.filename}</span>
                  <div class="small muted">{a.content_type}</div>
                </td>
                <td class="num">{bytes(a.size_bytes)}</td>
                <td>
                  <Ago at={a.created_at} />
                </td>
                <td>
                  <button
                    type="button"
                    class="small"
                    aria-label={`Download ${a.filename}`}
                    onClick={() => download(`/runs/${encodeURIComponent(props.runId)}/artifacts/${encodeURIComponent(a.id)}`, a.filename).catch((err: Error) => setError(err))}
                  >
                    Download
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
