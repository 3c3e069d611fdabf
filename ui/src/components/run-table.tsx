// A table of runs: name (a link to the run), status, trigger, when it was created, how long it ran.
import type { Run } from '../api/types.ts';
import { StatusBadge } from './status.tsx';
import { Ago, Duration } from './time.tsx';
import { count } from '../lib/format.ts';

export function RunTable(props: { runs: Run[]; caption: string; showJob?: boolean }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Duration</th>
            <th scope="col" class="num">
              Tokens
            </th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((run) => (
            <tr key={run.id}>
              <td>
                <a href={`/runs/${run.id}`}>{run.name}</a>
                <div class="muted mono small">
                  {run.id}
                  {run.schedule_id ? ' · scheduled' : run.rerun_of ? ' · re-run' : ''}
                  {run.attempt > 1 ? ` · attempt ${run.attempt}` : ''}
                </div>
              </td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>
                <Ago at={run.created_at} />
              </td>
              <td>
                <Duration from={run.started_at} to={run.completed_at} />
              </td>
              <td class="num">{count(run.total_tokens)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
