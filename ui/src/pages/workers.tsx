// The fleet, live: each worker's status, labels, how many of its slots hold runs (linked), and how long
// ago it last checked in. Workers that went offline are kept out of the way in a collapsed list.
import { useEffect } from 'preact/hooks';
import type { Run, Worker } from '../api/types.ts';
import { Empty, Loaded } from '../components/notice.tsx';
import { Table } from '../components/table.tsx';
import { Page, Section } from '../components/page.tsx';
import { StatusBadge } from '../components/status.tsx';
import { Ago } from '../components/time.tsx';
import { labels } from '../lib/format.ts';
import { useList } from '../state/live.ts';

function RunLinks(props: { ids: string[]; names: Map<string, string> }) {
  if (props.ids.length === 0) return <span class="muted">idle</span>;
  return (
    <ul class="plain">
      {props.ids.map((id) => (
        <li key={id}>
          <a href={`/runs/${id}`}>{props.names.get(id) ?? `Run ${id.slice(0, 8)}`}</a>
        </li>
      ))}
    </ul>
  );
}

function WorkerTable(props: { workers: Worker[]; caption: string; names: Map<string, string> }) {
  return (
    <Table
      caption={props.caption}
      head={
        <>
          <th scope="col">Worker</th>
          <th scope="col">Status</th>
          <th scope="col">Current runs</th>
          <th scope="col" class="num">
            Slots used
          </th>
          <th scope="col">Labels</th>
          <th scope="col">Last heartbeat</th>
        </>
      }
    >
      {props.workers.map((w) => (
        <tr key={w.id}>
          <th scope="row">
            {w.name}
            <div class="muted mono small">{w.id}</div>
          </th>
          <td>
            <StatusBadge status={w.status} />
            {w.status === 'draining' && <div class="muted small">finishing its runs, taking no new ones</div>}
          </td>
          <td>
            <RunLinks ids={w.run_ids} names={props.names} />
          </td>
          <td class="num">
            {w.run_ids.length} of {w.concurrency}
          </td>
          <td>
            {labels(w.labels).length === 0 ? (
              <span class="muted">none</span>
            ) : (
              <ul class="labels plain" aria-label={`Labels of ${w.name}`}>
                {labels(w.labels).map((l) => (
                  <li class="chip" key={l}>
                    {l}
                  </li>
                ))}
              </ul>
            )}
          </td>
          <td>
            <Ago at={w.last_heartbeat} />
          </td>
        </tr>
      ))}
    </Table>
  );
}

/** Heartbeats are not announced on the feed (every worker sends one every few seconds), so while the
 * page is shown the fleet is fetched again this often: last heartbeats and silent workers going
 * offline stay current. */
const HEARTBEAT_REFRESH_MS = 10_000;

export default function Workers() {
  // The fleet and the offline workers come apart: however many workers came and went since, one still
  // in the fleet is never a page away.
  const workers = useList<Worker>('/system/workers', ['workers', 'runs'], { active: true }, 200);
  const gone = useList<Worker>('/system/workers', ['workers'], { active: false }, 50);
  const reload = workers.reload;
  const reloadGone = gone.reload;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.hidden) return;
      void reload();
      void reloadGone();
    }, HEARTBEAT_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload, reloadGone]);
  // Names for the runs workers hold: those running now (a run just assigned shows by its id).
  const running = useList<Run>('/runs', ['runs'], { status: 'running' }, 200);
  const names = new Map((running.data ?? []).map((r) => [r.id, r.name]));
  const offline = gone.data ?? [];
  return (
    <Page title="Workers" lede="The machines running agents for this workspace, as they last reported.">
      <Loaded resource={workers} what="workers">
        {(active) => (
          <>
            <Section title={`Active (${active.length})`} id="active-workers">
              {active.length === 0 ? (
                <Empty>No worker is online. Start one with the node worker and an API key of the worker role.</Empty>
              ) : (
                <WorkerTable workers={active} caption="Active workers" names={names} />
              )}
            </Section>
            {offline.length > 0 && (
              <details class="section">
                <summary>
                  Offline workers ({offline.length}
                  {gone.more ? '+' : ''})
                </summary>
                <WorkerTable workers={offline} caption="Offline workers" names={names} />
                {gone.more && (
                  <div class="list-foot">
                    <span class="muted" role="status">
                      {offline.length} offline workers shown; more went offline earlier
                    </span>
                    <button type="button" onClick={gone.loadMore} disabled={gone.loading}>
                      Load more
                    </button>
                  </div>
                )}
              </details>
            )}
          </>
        )}
      </Loaded>
    </Page>
  );
}
