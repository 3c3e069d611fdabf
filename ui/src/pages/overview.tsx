// The overview: the queue and the fleet at a glance, runs per hour over the last day, recent runs.
import type { ActivityHour, Metrics, Run } from '../api/types.ts';
import { ActivityChart } from '../components/activity-chart.tsx';
import { Empty, Loaded } from '../components/notice.tsx';
import { Page, Section } from '../components/page.tsx';
import { RunTable } from '../components/run-table.tsx';
import { useResource } from '../state/live.ts';
import { canEdit } from '../state/session.ts';

function Stat(props: { label: string; value: number | undefined; href?: string }) {
  const body = (
    <>
      <div class="value">{props.value ?? '—'}</div>
      <div class="label">{props.label}</div>
    </>
  );
  return <div class="stat">{props.href ? <a href={props.href}>{body}</a> : body}</div>;
}

export default function Overview() {
  const metrics = useResource<Metrics>('/system/metrics', ['runs', 'workers']);
  const activity = useResource<ActivityHour[]>('/system/activity', ['runs'], { query: { hours: 24 } });
  const recent = useResource<Run[]>('/runs', ['runs'], { query: { limit: 10 } });
  const m = metrics.data;
  return (
    <Page
      title="Overview"
      actions={
        canEdit.value && (
          <a class="button primary" href="/runs/new">
            New run
          </a>
        )
      }
    >
      <section aria-label="Counts" class="cards">
        <Stat label="Queued" value={m?.queue_depth} href="/runs?status=queued" />
        <Stat label="Running" value={m ? (m.runs.running ?? 0) + (m.runs.assigned ?? 0) : undefined} href="/runs?status=running" />
        <Stat label="Completed" value={m ? (m.runs.completed ?? 0) : undefined} href="/runs?status=completed" />
        <Stat label="Failed or timed out" value={m ? (m.runs.failed ?? 0) + (m.runs.timeout ?? 0) : undefined} href="/runs?status=failed" />
        <Stat label="Workers online" value={m ? (m.workers.online ?? 0) + (m.workers.busy ?? 0) + (m.workers.draining ?? 0) : undefined} href="/workers" />
      </section>
      <Section title="Last 24 hours">
        <Loaded resource={activity} what="activity">
          {(hours) => <ActivityChart hours={hours} />}
        </Loaded>
      </Section>
      <Section
        title="Recent runs"
        actions={
          <a href="/runs" class="button small">
            All runs
          </a>
        }
      >
        <Loaded resource={recent} what="recent runs">
          {(runs) => (runs.length === 0 ? <Empty>No runs yet. Start one with New run, or run a job.</Empty> : <RunTable runs={runs} caption="Recent runs" />)}
        </Loaded>
      </Section>
    </Page>
  );
}
