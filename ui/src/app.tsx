// The dashboard: sign-in until there is a session, then the frame and the page for the address.
// Pages load lazily, so the first paint carries only the frame, the router and the API client.
import { useEffect } from 'preact/hooks';
import { ErrorBoundary, lazy, LocationProvider, Route, Router } from 'preact-iso';
import { api } from './api/client.ts';
import type { Me } from './api/types.ts';
import { Layout } from './components/layout.tsx';
import { Loading } from './components/notice.tsx';
import SignIn from './pages/sign-in.tsx';
import { me, session } from './state/session.ts';

const Overview = lazy(() => import('./pages/overview.tsx'));
const Runs = lazy(() => import('./pages/runs.tsx'));
const RunDetail = lazy(() => import('./pages/run-detail.tsx'));
const NewRun = lazy(() => import('./pages/new-run.tsx'));
const Jobs = lazy(() => import('./pages/jobs.tsx'));
const JobDetail = lazy(() => import('./pages/job-detail.tsx'));
const JobEdit = lazy(() => import('./pages/job-edit.tsx'));
const Schedules = lazy(() => import('./pages/schedules.tsx'));
const Workers = lazy(() => import('./pages/workers.tsx'));
const Credentials = lazy(() => import('./pages/credentials.tsx'));
const Skills = lazy(() => import('./pages/skills.tsx'));
const SkillDetail = lazy(() => import('./pages/skill-detail.tsx'));
const ApiKeys = lazy(() => import('./pages/api-keys.tsx'));
const Members = lazy(() => import('./pages/members.tsx'));
const NotFound = lazy(() => import('./pages/not-found.tsx'));

function SignedIn() {
  const current = session.value!;
  useEffect(() => {
    if (me.value?.workspace_id === current.workspaceId) return;
    api<Me>('/users/me').then((who) => (me.value = who), () => undefined);
  }, [current.key, current.workspaceId]);
  if (!me.value) return <Loading what="your workspace" />;
  return (
    <Layout>
      <ErrorBoundary>
        <Router>
          <Route path="/" component={Overview} />
          <Route path="/runs" component={Runs} />
          <Route path="/runs/new" component={NewRun} />
          <Route path="/runs/:id" component={RunDetail} />
          <Route path="/jobs" component={Jobs} />
          <Route path="/jobs/new" component={JobEdit} />
          <Route path="/jobs/:id/edit" component={JobEdit} />
          <Route path="/jobs/:id" component={JobDetail} />
          <Route path="/schedules" component={Schedules} />
          <Route path="/workers" component={Workers} />
          <Route path="/credentials" component={Credentials} />
          <Route path="/skills" component={Skills} />
          <Route path="/skills/:id" component={SkillDetail} />
          <Route path="/settings/keys" component={ApiKeys} />
          <Route path="/settings/members" component={Members} />
          <Route default component={NotFound} />
        </Router>
      </ErrorBoundary>
    </Layout>
  );
}

export function App() {
  return <LocationProvider>{session.value ? <SignedIn key={`${session.value.key}\n${session.value.workspaceId}`} /> : <SignIn />}</LocationProvider>;
}
