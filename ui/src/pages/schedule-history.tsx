// A schedule's history: each instant it fired at, with the run it started or why it started none
// (the previous run still going, a time missed while the control plane was away).
import { useRef, useState } from 'preact/hooks';
import type { Schedule, ScheduleFire } from '../api/types.ts';
import { Empty, Loaded } from '../components/notice.tsx';
import { Table } from '../components/table.tsx';
import { instantIn } from '../lib/cron.ts';
import { useResource } from '../state/live.ts';

const SHOWN = 50;

function Fires(props: { schedule: Schedule }) {
  const fires = useResource<ScheduleFire[]>(`/schedules/${encodeURIComponent(props.schedule.id)}/fires`, ['schedules', 'runs'], { query: { limit: SHOWN } });
  return (
    <Loaded resource={fires} what="its history">
      {(list) =>
        list.length === 0 ? (
          <Empty>It has not fired yet.</Empty>
        ) : (
          <Table
            caption={`Fires of ${props.schedule.name ?? props.schedule.job_name ?? 'the schedule'}`}
            head={
              <>
                <th scope="col">Due at ({props.schedule.timezone})</th>
                <th scope="col">Outcome</th>
              </>
            }
          >
            {list.map((f) => (
              <tr key={`${f.scheduled_for}-${f.fired_at}`}>
                <td>
                  <time dateTime={f.scheduled_for}>{instantIn(f.scheduled_for, props.schedule.timezone)}</time>
                </td>
                <td>{f.run_id ? <a href={`/runs/${f.run_id}`}>Started a run</a> : <span>Skipped: {f.reason ?? 'no reason recorded'}</span>}</td>
              </tr>
            ))}
          </Table>
        )
      }
    </Loaded>
  );
}

/** A "History" button and the dialog it opens; the fires are fetched only while it is open. */
export function ScheduleHistory(props: { schedule: Schedule; label: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const title = `History of ${props.label}`;
  return (
    <>
      <button
        type="button"
        class="small"
        aria-label={title}
        onClick={() => {
          setOpen(true);
          dialog.current?.showModal();
        }}
      >
        History
      </button>
      <dialog ref={dialog} aria-label={title} class="wide" onClose={() => setOpen(false)}>
        <h2>{title}</h2>
        {open && <Fires schedule={props.schedule} />}
        <div class="actions">
          <button type="button" class="ghost" onClick={() => dialog.current?.close()}>
            Close
          </button>
        </div>
      </dialog>
    </>
  );
}
