// Creating or editing a schedule in a dialog: the job, the cron expression read back in words, and
// its next five instants in the chosen time zone, asked of the control plane as the user types.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client.ts';
import type { Job, Schedule } from '../api/types.ts';
import { Field, FormError, useSubmit } from '../components/form.tsx';
import { cronInWords, instantIn, localTimeZone, timeZones } from '../lib/cron.ts';

const PREVIEW_DELAY_MS = 300;

interface Preview {
  next: string[];
  error: string | null;
}

/** The next five instants of `cron` in `timezone`, fetched once the user pauses typing. */
export function useCronPreview(cron: string, timezone: string): Preview | null {
  const [preview, setPreview] = useState<Preview | null>(null);
  useEffect(() => {
    if (cron.trim() === '') {
      setPreview(null);
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api<{ next: string[] }>('/schedules/preview', { query: { cron: cron.trim(), timezone: timezone.trim() || 'UTC', count: 5 }, signal: abort.signal }).then(
        (answer) => setPreview({ next: answer.next, error: null }),
        (err: unknown) => {
          if ((err as Error).name === 'AbortError') return;
          const message = err instanceof ApiError ? (err.fieldMessage('cron') ?? err.fieldMessage('timezone') ?? err.message) : String(err);
          setPreview({ next: [], error: message });
        },
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [cron, timezone]);
  return preview;
}

function CronPreview(props: { cron: string; timezone: string; id: string }) {
  const preview = useCronPreview(props.cron, props.timezone);
  const words = cronInWords(props.cron);
  return (
    <div class="cron-preview" id={props.id} aria-live="polite">
      {words && <p class="cron-words">{words}</p>}
      {preview?.error && <p class="field-error">{preview.error}</p>}
      {preview && preview.next.length > 0 && (
        <>
          <p class="muted small">Next {preview.next.length} runs ({props.timezone || 'UTC'}):</p>
          <ol aria-label="Next runs" class="instants">
            {preview.next.map((at) => (
              <li key={at}>
                <time dateTime={at}>{instantIn(at, props.timezone || 'UTC')}</time>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

const ZONES = timeZones();

export function ScheduleForm(props: { schedule: Schedule | null; jobId?: string | undefined; onDone: (saved: Schedule | null) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const s = props.schedule;
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [form, setForm] = useState({
    job_definition_id: s?.job_definition_id ?? props.jobId ?? '',
    name: s?.name ?? '',
    cron_expression: s?.cron_expression ?? '0 9 * * MON-FRI',
    timezone: s?.timezone ?? localTimeZone(),
    misfire: s?.misfire ?? 'run_once',
    overlap: s?.overlap ?? 'allow',
    enabled: s?.enabled ?? true,
  });
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const submit = useSubmit();
  const title = s ? `Edit schedule ${s.name ?? s.job_name ?? ''}`.trim() : 'New schedule';

  useEffect(() => {
    dialog.current?.showModal();
    if (!s) api<Job[]>('/jobs', { query: { limit: 200 } }).then(setJobs, () => setJobs([]));
  }, []);

  return (
    <dialog ref={dialog} aria-label={title} onClose={() => props.onDone(null)} class="wide">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run(async () => {
            const common = { name: form.name.trim() || null, cron_expression: form.cron_expression, timezone: form.timezone, misfire: form.misfire, overlap: form.overlap, enabled: form.enabled };
            const saved = s
              ? await api<Schedule>(`/schedules/${encodeURIComponent(s.id)}`, { method: 'PUT', body: common })
              : await api<Schedule>('/schedules', { body: { ...common, job_definition_id: form.job_definition_id } });
            dialog.current?.close();
            props.onDone(saved);
          });
        }}
      >
        <h2>{title}</h2>
        {s ? (
          <p>
            Runs job <a href={`/jobs/${s.job_definition_id}`}>{s.job_name ?? s.job_definition_id}</a>.
          </p>
        ) : (
          <Field label="Job" error={submit.fieldError('job_definition_id')}>
            {(f) => (
              <select {...f} required value={form.job_definition_id} onChange={(e) => set({ job_definition_id: e.currentTarget.value })}>
                <option value="" disabled>
                  {jobs === null ? 'Loading jobs…' : jobs.length === 0 ? 'No jobs yet: create one first' : 'Choose a job'}
                </option>
                {(jobs ?? []).map((j) => (
                  <option key={j.id} value={j.id}>
                    {j.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field label="Name" hint="Optional; the job's name is shown without one." error={submit.fieldError('name')}>
          {(f) => <input {...f} value={form.name} onInput={(e) => set({ name: e.currentTarget.value })} />}
        </Field>
        <div class="grid-2">
          <Field
            label="Cron expression"
            hint={
              <>
                minute hour day-of-month month day-of-week, e.g. <code>0 9 * * MON-FRI</code>, or <code>@daily</code>.
              </>
            }
            error={submit.fieldError('cron_expression')}
          >
            {(f) => (
              <input
                {...f}
                aria-describedby={[f['aria-describedby'], 'cron-preview'].filter(Boolean).join(' ')}
                required
                class="mono"
                spellcheck={false}
                autoComplete="off"
                value={form.cron_expression}
                onInput={(e) => set({ cron_expression: e.currentTarget.value })}
              />
            )}
          </Field>
          <Field label="Time zone" hint="The zone the expression is read in (IANA name)." error={submit.fieldError('timezone')}>
            {(f) => <input {...f} required list="time-zones" autoComplete="off" value={form.timezone} onInput={(e) => set({ timezone: e.currentTarget.value })} />}
          </Field>
        </div>
        <datalist id="time-zones">
          {ZONES.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <CronPreview cron={form.cron_expression} timezone={form.timezone} id="cron-preview" />
        <div class="grid-2">
          <Field label="Missed while down" hint="When the control plane was away at a fire time." error={submit.fieldError('misfire')}>
            {(f) => (
              <select {...f} value={form.misfire} onChange={(e) => set({ misfire: e.currentTarget.value as Schedule['misfire'] })}>
                <option value="run_once">Run once for the latest missed time</option>
                <option value="skip">Skip missed times</option>
              </select>
            )}
          </Field>
          <Field label="If the previous run is still going" error={submit.fieldError('overlap')}>
            {(f) => (
              <select {...f} value={form.overlap} onChange={(e) => set({ overlap: e.currentTarget.value as Schedule['overlap'] })}>
                <option value="allow">Start another run</option>
                <option value="skip">Skip this time</option>
              </select>
            )}
          </Field>
        </div>
        <label class="check">
          <input type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} /> Enabled
        </label>
        <FormError submit={submit} shown={['job_definition_id', 'name', 'cron_expression', 'timezone', 'misfire', 'overlap']} />
        <div class="actions">
          <button type="button" class="ghost" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={submit.busy}>
            {s ? 'Save schedule' : 'Create schedule'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
