// The API's types, straight from the control plane's contract: types only, so no zod or server code
// reaches the bundle.
export type { Job, JobCreate, JobUpdate } from '../../../control/src/contract/jobs.ts';
export type { Run, RunCreate, RunAttempt, LogView } from '../../../control/src/contract/runs.ts';
export type { RunStatus } from '../../../control/src/contract/statuses.ts';
export type { Artifact } from '../../../control/src/contract/artifacts.ts';
export type { Credential, CredentialCreate } from '../../../control/src/contract/credentials.ts';
export type { Schedule, ScheduleCreate, ScheduleFire } from '../../../control/src/contract/schedules.ts';
export type { SkillSummary, SkillDetail } from '../../../control/src/contract/skills.ts';
export type { Worker, Metrics, ActivityHour } from '../../../control/src/contract/system.ts';
export type { Me } from '../../../control/src/contract/users.ts';
export type { Workspace, Member } from '../../../control/src/contract/workspaces.ts';
export type { ApiKey, ApiKeyCreated } from '../../../control/src/contract/api-keys.ts';
export type { McpServer, AgentConfig } from '../../../control/src/contract/agent.ts';
export type { RetryPolicy } from '../../../control/src/contract/retry.ts';
export type { KeyRole, MemberRole } from '../../../control/src/auth/roles.ts';
