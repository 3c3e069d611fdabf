// A run started by hand: the agent form, optionally filled from an earlier run (`?from=<run id>`),
// and on success the new run's page.
import { useLocation } from 'preact-iso';
import { api } from '../api/client.ts';
import type { Run } from '../api/types.ts';
import { AgentForm } from '../components/agent-form.tsx';
import { Loaded } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { emptyAgentForm, formFromRun, toRunCreate, type AgentFormState } from '../lib/agent-form.ts';
import { useResource } from '../state/live.ts';
import { canEdit } from '../state/session.ts';

function Form(props: { initial: AgentFormState }) {
  const { route } = useLocation();
  return (
    <AgentForm
      kind="run"
      initial={props.initial}
      submitLabel="Start run"
      cancelHref="/runs"
      onSubmit={async (state) => {
        const run = await api<Run>('/runs', { body: toRunCreate(state) });
        route(`/runs/${run.id}`);
      }}
    />
  );
}

export default function NewRun() {
  const { query } = useLocation();
  const from = useResource<Run>(query.from ? `/runs/${encodeURIComponent(query.from)}` : null, []);
  if (!canEdit.value) {
    return (
      <Page title="New run">
        <p class="notice">Your role in this workspace can look at runs but not start them.</p>
      </Page>
    );
  }
  return (
    <Page title="New run" lede={query.from ? `With the settings of run ${query.from}; its environment variables are not shown by the API, so add them again.` : 'One run of a task, outside any job.'}>
      {query.from ? (
        <Loaded resource={from} what="the earlier run">
          {(run) => <Form initial={{ ...formFromRun(run), name: '' }} />}
        </Loaded>
      ) : (
        <Form initial={emptyAgentForm()} />
      )}
    </Page>
  );
}
