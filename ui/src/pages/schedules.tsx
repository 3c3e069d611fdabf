// Schedules: jobs triggered on a cron expression in a time zone. Each shows its cron in words, when
// it fires next and its last run; admins create, edit, switch on and off, and delete them.
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../api/client.ts';
import type { Run, Schedule } from '../api/types.ts';
import { ConfirmButton } from '../components/dialogs.tsx';
import { Empty, ErrorNotice, Loaded } from '../components/notice.tsx';
import { Announcer, Table } from '../components/table.tsx';
import { Page } from '../components/page.tsx';
import { Ago } from '../components/time.tsx';
import { cronInWords, instantIn } from '../lib/cron.ts';
import { useList } from '../state/live.ts';
import { can, canEdit } from '../state/session.ts';
import { ScheduleForm } from './schedule-form.tsx';
import { ScheduleHistory } from './schedule-history.tsx';

function label(s: Schedule): string {
  return s.name ?? s.job_name ?? s.id;
}

function EnabledSwitch(props: { schedule: Schedule; onChanged: (s: Schedule) => Promise<void>; onError: (e: Error) => void }) {
  // What the user asked for, shown until the list has the answer (so the switch does not snap back).
  const [pending, setPending] = useState<boolean | null>(null);
  const s = props.schedule;
  const checked = pending ?? s.enabled;
  return (
    <label class="switch">
      <input
        type="checkbox"
        role="switch"
        aria-label={`Enabled: ${label(s)}`}
        checked={checked}
        disabled={pending !== null}
        onChange={async (e) => {
          const enabled = e.currentTarget.checked;
          setPending(enabled);
          try {
            await props.onChanged(await api<Schedule>(`/schedules/${encodeURIComponent(s.id)}`, { method: 'PUT', body: { enabled } }));
          } catch (err) {
            props.onError(err as Error);
          } finally {
            setPending(null);
          }
        }}
      />
      <span aria-hidden="true">{checked ? 'On' : 'Off'}</span>
    </label>
  );
}

export default function Schedules() {
  const { query, route } = useLocation();
  const schedules = useList<Schedule>('/schedules', ['schedules'], {}, 200);
  // Opening the page with ?job_id= (from a job's page) starts a schedule for that job.
  const [editing, setEditing] = useState<Schedule | 'new' | null>(query.job_id && can('admin') ? 'new' : null);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const admin = can('admin');
  const reload = () => void schedules.reload();
  const runNow = async (s: Schedule) => {
    const run = await api<Run>(`/schedules/${encodeURIComponent(s.id)}/run`, { method: 'POST' });
    route(`/runs/${run.id}`);
  };
  return (
    <Page
      title="Schedules"
      lede="Jobs started on a cron expression, read in each schedule's time zone."
      actions={
        admin && (
          <button type="button" class="primary" onClick={() => setEditing('new')}>
            New schedule
          </button>
        )
      }
    >
      <Announcer message={notice} />
      <ErrorNotice error={error} />
      {editing && (
        <ScheduleForm
          schedule={editing === 'new' ? null : editing}
          jobId={query.job_id}
          onDone={(saved) => {
            setEditing(null);
            if (saved) {
              setNotice(`Schedule ${label(saved)} saved.`);
              reload();
            }
          }}
        />
      )}
      <Loaded resource={schedules} what="schedules">
        {(list) =>
          list.length === 0 ? (
            <Empty>No schedules yet.{admin ? ' Create one to run a job on a timetable.' : ''}</Empty>
          ) : (
            <Table
              caption="Schedules"
              actions={canEdit.value}
              head={
                <>
                  <th scope="col">Schedule</th>
                  <th scope="col">When</th>
                  <th scope="col">Enabled</th>
                  <th scope="col">Next run</th>
                  <th scope="col">Last run</th>
                </>
              }
            >
              {list.map((s) => (
                <tr key={s.id}>
                  <th scope="row">
                    {label(s)}
                    <div class="muted small">
                      job <a href={`/jobs/${s.job_definition_id}`}>{s.job_name ?? s.job_definition_id}</a>
                    </div>
                  </th>
                  <td>
                    <div>{cronInWords(s.cron_expression) ?? s.cron_expression}</div>
                    <div class="muted small">
                      <code>{s.cron_expression}</code> · {s.timezone}
                      {s.overlap === 'skip' ? ' · skips while running' : ''}
                      {s.misfire === 'skip' ? ' · skips missed times' : ''}
                    </div>
                  </td>
                  <td>
                    {admin ? (
                      <EnabledSwitch
                        schedule={s}
                        onError={setError}
                        onChanged={async (next) => {
                          setNotice(`${label(next)} ${next.enabled ? 'enabled' : 'disabled'}.`);
                          await schedules.reload();
                        }}
                      />
                    ) : s.enabled ? (
                      'Enabled'
                    ) : (
                      'Disabled'
                    )}
                  </td>
                  <td>
                    {s.next_run_at ? (
                      <>
                        <Ago at={s.next_run_at} />
                        <div class="muted small">{instantIn(s.next_run_at, s.timezone)}</div>
                      </>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td>
                    {s.last_run_id ? (
                      <a href={`/runs/${s.last_run_id}`}>
                        <Ago at={s.last_run_at} empty="view" />
                        <span class="visually-hidden"> (last run of {label(s)})</span>
                      </a>
                    ) : (
                      <span class="muted">never</span>
                    )}
                    <div>
                      <ScheduleHistory schedule={s} label={label(s)} />
                    </div>
                  </td>
                  {canEdit.value && (
                    <td>
                      <div class="actions">
                        <button type="button" class="small" aria-label={`Run now: ${label(s)}`} onClick={() => runNow(s).catch(setError)}>
                          Run now
                        </button>
                        {admin && (
                          <>
                            <button type="button" class="small" aria-label={`Edit ${label(s)}`} onClick={() => setEditing(s)}>
                              Edit
                            </button>
                            <ConfirmButton
                              label="Delete"
                              ariaLabel={`Delete ${label(s)}`}
                              title={`Delete schedule ${label(s)}?`}
                              confirmLabel="Delete schedule"
                              class="danger small"
                              danger
                              onConfirm={async () => {
                                await api(`/schedules/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
                                setNotice(`Schedule ${label(s)} deleted.`);
                                reload();
                              }}
                            >
                              <p>The job stays; it is no longer started on this timetable. Its past runs are kept.</p>
                            </ConfirmButton>
                          </>
                        )}
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </Table>
          )
        }
      </Loaded>
    </Page>
  );
}
