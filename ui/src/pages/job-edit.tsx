// Creating a job (/jobs/new) or editing one (/jobs/:id/edit) with the agent form; saved, it opens
// the job's page.
import { useLocation, useRoute } from 'preact-iso';
import { api } from '../api/client.ts';
import type { Job } from '../api/types.ts';
import { AgentForm } from '../components/agent-form.tsx';
import { Loaded } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { emptyAgentForm, formFromJob, toJobBody } from '../lib/agent-form.ts';
import { useResource } from '../state/live.ts';
import { canEdit } from '../state/session.ts';

export default function JobEdit() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id;
  // Fetched once: the form must not change under the person editing it.
  const job = useResource<Job>(id ? `/jobs/${encodeURIComponent(id)}` : null, []);
  const title = id ? `Edit ${job.data?.name ?? 'job'}` : 'New job';
  if (!canEdit.value) {
    return (
      <Page title={title}>
        <p class="notice">Your role in this workspace can look at jobs but not change them.</p>
      </Page>
    );
  }
  if (!id) {
    return (
      <Page title={title} lede="A reusable task: run it now, on a schedule, or from the API.">
        <AgentForm
          kind="job"
          initial={emptyAgentForm()}
          submitLabel="Create job"
          cancelHref="/jobs"
          onSubmit={async (state) => {
            const created = await api<Job>('/jobs', { body: toJobBody(state) });
            route(`/jobs/${created.id}`);
          }}
        />
      </Page>
    );
  }
  return (
    <Page title={title} lede="Runs already queued keep the settings they were created with.">
      <Loaded resource={job} what="the job">
        {(current) => (
          <AgentForm
            kind="job"
            initial={formFromJob(current)}
            submitLabel="Save job"
            cancelHref={`/jobs/${current.id}`}
            onSubmit={async (state) => {
              await api<Job>(`/jobs/${current.id}`, { method: 'PUT', body: toJobBody(state) });
              route(`/jobs/${current.id}`);
            }}
          />
        )}
      </Loaded>
    </Page>
  );
}
