// Helpers for control-plane tests: call the Worker through its real fetch handler.
import { env, exports } from 'cloudflare:workers';
import { expect } from 'vitest';
import { sha256Hex } from '../src/db/ids.ts';

export const ADMIN_KEY = 'admin';

export interface CallOptions {
  method?: string;
  body?: unknown;
  /** Raw body text, sent as is (for malformed JSON tests). */
  rawBody?: string;
  /** A multipart body; fetch sets its content type with the boundary. */
  form?: FormData;
  key?: string | null;
  workspace?: string;
  headers?: Record<string, string>;
}

/** Calls /api/v1<path> as the bootstrap admin unless `key` says otherwise (null sends no key). */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const key = options.key === undefined ? ADMIN_KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.workspace) headers['x-workspace-id'] = options.workspace;
  let body: string | FormData | undefined;
  if (options.form !== undefined) body = options.form;
  else if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && options.form === undefined) headers['content-type'] ??= 'application/json';
  const url = path.startsWith('/') && !path.startsWith('/api/') && !path.startsWith('/openapi') && !path.startsWith('/docs') ? `http://fc.test/api/v1${path}` : `http://fc.test${path}`;
  return exports.default.fetch(url, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
}

/** Calls and parses JSON, failing the test with the body when the status is not the expected one. */
export async function callJson<T = any>(path: string, options: CallOptions = {}, expectStatus?: number): Promise<T> {
  const res = await call(path, options);
  const text = await res.text();
  if (expectStatus !== undefined && res.status !== expectStatus) {
    throw new Error(`${options.method ?? 'GET'} ${path}: expected ${expectStatus}, got ${res.status}: ${text}`);
  }
  return (text ? JSON.parse(text) : null) as T;
}

let serial = 0;
/** A name no other call in this test file has used. */
export const unique = (base: string) => `${base}-${++serial}`;

export type MemberRole = 'owner' | 'admin' | 'member' | 'viewer';

/** A user who is a plain member of the default workspace, with a member key; made straight in D1. */
export async function memberKey(): Promise<string> {
  const userId = unique('member-user');
  const token = `fc_test_${unique('member-token')}`;
  await env.DB.batch([
    env.DB.prepare('INSERT INTO users (id, username) VALUES (?1, ?1)').bind(userId),
    env.DB.prepare("INSERT INTO workspace_members (id, workspace_id, user_id, role) VALUES (?1, 'default', ?2, 'member')").bind(`${userId}-m`, userId),
    env.DB.prepare("INSERT INTO api_keys (id, name, key_hash, prefix, role, user_id, workspace_id) VALUES (?1, 'test', ?2, 'fc_test', 'member', ?3, 'default')").bind(
      `${userId}-k`,
      await sha256Hex(token),
      userId,
    ),
  ]);
  return token;
}

/** A new user with the given membership in `workspace` and a key of the same role, made through the API. */
export async function userWithKey(workspace: string, role: MemberRole) {
  const member = await callJson(`/workspaces/${workspace}/members`, { body: { username: unique(role), role }, workspace }, 201);
  const created = await callJson('/api-keys', { body: { name: 'test', role, user_id: member.user_id }, workspace }, 201);
  return { userId: member.user_id as string, key: created.key as string, keyId: created.id as string };
}

/** The ids of a JSON list response. */
export async function ids(res: Response): Promise<string[]> {
  return ((await res.json()) as { id: string }[]).map((row) => row.id);
}

/** Asserts an error response's status and code, and returns its body. */
export async function expectError(res: Response, status: number, code: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text);
  expect(body.code).toBe(code);
  return body;
}

/** One of every resource, for tests that exercise every endpoint. */
export interface Fixture {
  jobId: string;
  runId: string;
  credId: string;
  scheduleId: string;
  workspaceId: string;
  memberUserId: string;
  workerKey: string;
  workerId: string;
  /** The run's lease when `claim` was asked for, so lease-fenced calls reach their handlers. */
  leaseToken: string | null;
}

export async function oneOfEverything(options: { credentialValue?: string; claim?: boolean } = {}): Promise<Fixture> {
  const workerKey = (await callJson('/api-keys', { body: { name: unique('fixture worker'), role: 'worker' } }, 201)).key as string;
  const worker = await callJson('/workers/register', { key: workerKey, body: { name: 'fixture worker' } }, 201);
  const run = await callJson('/runs', { body: { task_prompt: 'fixture run' } }, 201);
  let leaseToken: string | null = null;
  if (options.claim) {
    const claimed = await callJson('/workers/claim', { key: workerKey, body: { worker_id: worker.id } }, 200);
    expect(claimed.runs.map((r: { run_id: string }) => r.run_id)).toEqual([run.id]);
    leaseToken = claimed.runs[0].lease_token;
  }
  const job = await callJson('/jobs', { body: { name: unique('fixture job'), task_prompt: 'p' } }, 201);
  const cred = await callJson('/credentials', { body: { name: unique('fixture-cred'), env_var: 'FIXTURE', value: options.credentialValue ?? 'fixture-value' } }, 201);
  const schedule = await callJson('/schedules', { body: { job_definition_id: job.id, cron_expression: '@daily' } }, 201);
  const slug = unique('fixture-ws');
  const ws = await callJson('/workspaces', { body: { name: slug, slug } }, 201);
  const member = await callJson(`/workspaces/${ws.id}/members`, { body: { username: unique('fixture-member') } }, 201);
  return {
    jobId: job.id,
    runId: run.id,
    credId: cred.id,
    scheduleId: schedule.id,
    workspaceId: ws.id,
    memberUserId: member.user_id,
    workerKey,
    workerId: worker.id,
    leaseToken,
  };
}
