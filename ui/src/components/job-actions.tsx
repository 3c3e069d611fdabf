// What can be done to a job from its list and its page: run it now (saying what was queued) and
// delete it after asking.
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import type { Job, Run } from '../api/types.ts';
import { ConfirmButton } from './dialogs.tsx';
import { ErrorNotice } from './notice.tsx';

/** Queues a run of the job; what happened is said in the page's live region. */
export function useRunNow() {
  const [queued, setQueued] = useState<Run | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const runNow = async (job: Job) => {
    setBusy(job.id);
    setError(null);
    try {
      setQueued(await api<Run>(`/jobs/${job.id}/run`, { method: 'POST' }));
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(null);
    }
  };
  const notice = (
    <div role="status" class="run-now-status">
      {queued && (
        <p class="notice">
          Queued <a href={`/runs/${queued.id}`}>{queued.name}</a> ({queued.id}).
        </p>
      )}
      <ErrorNotice error={error} what="Could not start the run" />
    </div>
  );
  return { runNow, busy, notice };
}

export function DeleteJobButton(props: { job: Job; onDeleted?: () => void; class?: string }) {
  return (
    <ConfirmButton
      label="Delete"
      title={`Delete job ${props.job.name}?`}
      confirmLabel="Delete job"
      danger
      {...(props.class ? { class: props.class } : {})}
      onConfirm={async () => {
        await api(`/jobs/${props.job.id}`, { method: 'DELETE' });
        props.onDeleted?.();
      }}
    >
      <p>Its schedules are deleted with it. Its past runs are kept.</p>
    </ConfirmButton>
  );
}
