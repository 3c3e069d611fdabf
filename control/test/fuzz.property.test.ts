// Random and mutated JSON bodies on every endpoint that writes: never a 5xx, always the error
// envelope on a 4xx, and a stored credential's value never in any response.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, callJson, oneOfEverything, type CallOptions, type Fixture } from './helpers.ts';

const RUNS = 50;
const TIMEOUT_MS = 30_000;

// A credential stored before the fuzzing starts; its value must never come back from any call.
const SECRET = `sentinel-${crypto.randomUUID()}-secret`;
// The value in the valid credential bodies the fuzzer mutates; sent many times, echoed never.
const SENT_VALUE = `sent-${crypto.randomUUID()}-value`;

let f: Fixture;

beforeAll(async () => {
  await callJson('/credentials', { body: { name: 'sentinel', env_var: 'SENTINEL', value: SECRET, description: 'must never be shown' } }, 201);
  f = await oneOfEverything({ credentialValue: SENT_VALUE, claim: true });
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Endpoint {
  method: 'POST' | 'PUT';
  path: () => string;
  /** A body the endpoint accepts, which the fuzzer then breaks; {} for endpoints that read none. */
  valid: () => { [key: string]: Json };
  worker?: boolean;
  headers?: () => Record<string, string>;
  /** Adjusts a generated body before it is sent, for reasons given where it is used. */
  tame?: (body: Json) => Json;
}

const mcpServer = { name: 'files', command: 'npx', args: ['-y', 'mcp-files'], env: { ROOT: '/tmp' } };
const jobBody = () => ({
  name: 'fuzzed',
  description: 'd',
  task_prompt: 'do it',
  agent_type: 'goose',
  agent_config: { provider: 'openai', model: 'gpt-4.1', max_turns: 5 },
  mcp_servers: [mcpServer, { name: 'remote', type: 'streamable_http', uri: 'https://127.0.0.1:9/mcp', headers: { A: 'b' } }],
  env_vars: { A: '1' },
  credential_ids: [],
  skill_ids: null,
  labels: { gpu: 'no' },
  timeout_seconds: 60,
  priority: 1,
  max_attempts: 2,
});
const lease = () => ({ 'x-lease-token': f.leaseToken ?? '' });

// A claim parks for up to wait_seconds when nothing is queued; the property is about input
// handling, not waiting, so generated waits are cut to zero.
function noWaiting(body: Json): Json {
  if (body && typeof body === 'object' && !Array.isArray(body) && typeof body.wait_seconds === 'number' && body.wait_seconds > 0) {
    return { ...body, wait_seconds: 0 };
  }
  return body;
}

const endpoints: Record<string, Endpoint> = {
  'POST /jobs': { method: 'POST', path: () => '/jobs', valid: jobBody },
  'PUT /jobs/{job_id}': { method: 'PUT', path: () => `/jobs/${f.jobId}`, valid: jobBody },
  'POST /jobs/{job_id}/run': { method: 'POST', path: () => `/jobs/${f.jobId}/run`, valid: () => ({}) },
  'POST /runs': {
    method: 'POST',
    path: () => '/runs',
    valid: () => {
      const { description: _d, labels, ...run } = jobBody();
      return { ...run, required_labels: labels };
    },
  },
  'POST /runs/{run_id}/cancel': { method: 'POST', path: () => `/runs/${f.runId}/cancel`, valid: () => ({}) },
  'POST /credentials': { method: 'POST', path: () => '/credentials', valid: () => ({ name: 'fuzzed-cred', env_var: 'FUZZ', value: SENT_VALUE, description: 'x' }) },
  'PUT /credentials/{cred_id}': {
    method: 'PUT',
    path: () => `/credentials/${f.credId}`,
    valid: () => ({ name: 'fuzz-target', env_var: 'TARGET', value: SENT_VALUE, description: null }),
  },
  'POST /schedules': {
    method: 'POST',
    path: () => '/schedules',
    valid: () => ({ job_definition_id: f.jobId, cron_expression: '*/15 9-17 * * MON-FRI', enabled: true, name: 'n', timezone: 'Europe/Stockholm' }),
  },
  'PUT /schedules/{schedule_id}': {
    method: 'PUT',
    path: () => `/schedules/${f.scheduleId}`,
    valid: () => ({ cron_expression: '0 0 1 JAN *', enabled: false, name: null, timezone: 'UTC' }),
  },
  'POST /workspaces': { method: 'POST', path: () => '/workspaces', valid: () => ({ name: 'Fuzzed', slug: 'fuzzed', description: 'd' }) },
  'PUT /workspaces/{workspace_id}': { method: 'PUT', path: () => `/workspaces/${f.workspaceId}`, valid: () => ({ name: 'Fuzz', description: null }) },
  'POST /workspaces/{workspace_id}/members': {
    method: 'POST',
    path: () => `/workspaces/${f.workspaceId}/members`,
    valid: () => ({ username: 'someone.new', display_name: 'Someone', role: 'viewer' }),
  },
  'PUT /workspaces/{workspace_id}/members/{user_id}': {
    method: 'PUT',
    path: () => `/workspaces/${f.workspaceId}/members/${f.memberUserId}`,
    valid: () => ({ role: 'admin' }),
  },
  'POST /api-keys': { method: 'POST', path: () => '/api-keys', valid: () => ({ name: 'fuzzed key', role: 'viewer', user_id: 'admin' }) },
  'POST /workers/register': {
    method: 'POST',
    path: () => '/workers/register',
    worker: true,
    valid: () => ({ name: 'w', labels: { gpu: 'yes' }, concurrency: 2, version: '1' }),
  },
  'POST /workers/heartbeat': {
    method: 'POST',
    path: () => '/workers/heartbeat',
    worker: true,
    valid: () => ({ worker_id: f.workerId, status: 'busy', runs: [{ run_id: f.runId, lease_token: f.leaseToken }] }),
  },
  'POST /workers/claim': {
    method: 'POST',
    path: () => '/workers/claim',
    worker: true,
    valid: () => ({ worker_id: f.workerId, max_runs: 2, wait_seconds: 0 }),
    tame: noWaiting,
  },
  'POST /workers/poll': { method: 'POST', path: () => `/workers/poll?worker_id=${f.workerId}`, worker: true, valid: () => ({}) },
  'POST /workers/runs/{run_id}/start': { method: 'POST', path: () => `/workers/runs/${f.runId}/start`, worker: true, headers: lease, valid: () => ({}) },
  'POST /workers/runs/{run_id}/logs': {
    method: 'POST',
    path: () => `/workers/runs/${f.runId}/logs`,
    worker: true,
    headers: lease,
    valid: () => ({ lines: [{ stream: 'stdout', line: 'hello', sequence: 1 }, { stream: 'event', line: '{}', sequence: 2 }] }),
  },
  // Last: a valid body ends the run, after which its lease calls answer 409.
  'POST /workers/runs/{run_id}/complete': {
    method: 'POST',
    path: () => `/workers/runs/${f.runId}/complete`,
    worker: true,
    headers: lease,
    valid: () => ({ status: 'completed', result: 'ok', exit_code: 0, error: null, usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3, cost_usd: 0.5 } }),
  },
  // After the run has ended: the worker leaves the fleet (and comes back at its next claim).
  'POST /workers/deregister': { method: 'POST', path: () => '/workers/deregister', worker: true, valid: () => ({ worker_id: f.workerId }) },
};

// Values known to sit on or past some limit, besides whatever fast-check makes up.
const edgeValue: fc.Arbitrary<Json> = fc.constantFrom<Json>(
  '',
  ' ',
  'x'.repeat(70_000),
  '\u0000',
  '\ud800',
  '__proto__',
  "'; DROP TABLE job_runs; --",
  '../../etc/passwd',
  '@daily',
  '0 0 30 2 *',
  '*/0 * * * *',
  'Not/AZone',
  -1,
  0,
  1.5,
  2 ** 53,
  -(2 ** 63),
  1e308,
  true,
  null,
  [],
  {},
  // As many distinct names as a name list allows, and one more.
  Array.from({ length: 100 }, (_, i) => `n${i}`),
  Array.from({ length: 101 }, (_, i) => `n${i}`),
  // Own `__proto__` and `constructor` keys, as a JSON body can carry them.
  JSON.parse('{"__proto__": {"polluted": true}, "constructor": "x"}') as Json,
);
const anyValue: fc.Arbitrary<Json> = fc.oneof({ weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> }, { weight: 1, arbitrary: edgeValue });

/** Every path into a value: object keys and array indexes, at any depth. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
}

function getAt(root: Json, path: (string | number)[]): Json {
  let node: Json = root;
  for (const key of path) node = node && typeof node === 'object' ? ((node as Record<string, Json>)[key as string] ?? null) : null;
  return node;
}

function setAt(root: Json, path: (string | number)[], value: Json): void {
  const parent = getAt(root, path.slice(0, -1));
  if (parent && typeof parent === 'object') (parent as Record<string, Json>)[path[path.length - 1] as string] = value;
}

const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }));

/**
 * Values of the same shape as `original` (a string for a string, a list for a list…), so most of
 * them get past the type checks and into range checks, handlers and the database.
 */
function like(original: Json): fc.Arbitrary<Json> {
  if (typeof original === 'string') return fc.oneof(text, fc.constantFrom('', ' ', 'x'.repeat(70_000), '\u0000', '\ud800'));
  if (typeof original === 'number') {
    return Number.isInteger(original) ? fc.oneof(fc.integer({ min: -2, max: 120 }), fc.integer(), fc.maxSafeInteger()) : fc.double();
  }
  if (typeof original === 'boolean') return fc.boolean();
  if (original === null) return fc.oneof(fc.constant(null), text);
  if (Array.isArray(original)) {
    const element = original[0] ?? 'name';
    if (element && typeof element === 'object') return fc.array(like(element), { maxLength: 3 });
    // A few entries, or the 100 a list allows and one more (where one SQL parameter per item would
    // overflow D1's limit), each entry acceptable on its own so the list is judged as a list.
    const item = typeof element === 'string' ? fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }) : like(element);
    return fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(100), fc.constant(101)).chain((n) => fc.uniqueArray(item, { minLength: n, maxLength: n }));
  }
  return fc.record(Object.fromEntries(Object.entries(original).map(([key, value]) => [key, like(value)])));
}

/** The valid body with a few fields, at any depth, replaced by other values, some dropped and some added. */
function mutated(valid: { [key: string]: Json }): fc.Arbitrary<Json> {
  const paths = pathsOf(valid);
  const keys = Object.keys(valid);
  const replacement = paths.length
    ? // Top-level fields half the time, so a body's own fields are not drowned by nested ones.
      fc.oneof(fc.constantFrom(...keys.map((k) => [k])), fc.constantFrom(...paths)).chain((path) => fc.tuple(fc.constant(path), fc.oneof({ weight: 3, arbitrary: like(getAt(valid, path)) }, { weight: 1, arbitrary: anyValue })))
    : null;
  return fc
    .record({
      replace: replacement ? fc.array(replacement, { maxLength: 3 }) : fc.constant([]),
      drop: fc.subarray(keys, { maxLength: Math.min(2, keys.length) }),
      extra: fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 2 }),
    })
    .map(({ replace, drop, extra }) => {
      const body: { [key: string]: Json } = { ...extra, ...structuredClone(valid) };
      for (const key of drop) delete body[key];
      for (const [path, value] of replace) setAt(body, path, structuredClone(value));
      return body;
    });
}

type Sent = { json: Json } | { raw: string };

function inputs(endpoint: Endpoint): fc.Arbitrary<Sent> {
  return fc.oneof(
    { weight: 4, arbitrary: mutated(endpoint.valid()).map((json) => ({ json })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((json) => ({ json: json as Json })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((raw) => ({ raw })) },
  );
}

function send(endpoint: Endpoint, sent: Sent): Promise<Response> {
  const options: CallOptions = {
    method: endpoint.method,
    key: endpoint.worker ? f.workerKey : undefined,
    headers: endpoint.headers?.(),
  };
  if ('raw' in sent) options.rawBody = sent.raw;
  else options.body = endpoint.tame ? endpoint.tame(sent.json) : sent.json;
  return call(endpoint.path(), options);
}

/** What every response must be, whatever was sent. */
async function checkResponse(res: Response, what: string): Promise<void> {
  const text = await res.text();
  expect(res.status, `${what} → ${text.slice(0, 500)}`).toBeLessThan(500);
  expect(text, what).not.toContain(SECRET);
  expect(text, what).not.toContain(SENT_VALUE);
  if (res.status === 204) return;
  expect(res.headers.get('content-type'), what).toMatch(/^application\/json/);
  const body = JSON.parse(text);
  if (res.status >= 400) {
    expect(body, what).toMatchObject({ detail: expect.any(String), code: expect.any(String) });
    if (body.fields !== undefined) {
      expect(Array.isArray(body.fields), what).toBe(true);
      for (const field of body.fields) expect(field, what).toEqual({ field: expect.any(String), message: expect.any(String) });
    }
  }
}

// Before the JSON endpoints: completing the fixture run (last of those) ends its lease.
describe('random multipart uploads', () => {
  type Part = { name: string; value: { file: [string, string, number[]] } | { text: string } };
  // workerd's FormData cannot encode a part name or filename that ends in a backslash.
  const encodable = (s: string) => !s.endsWith('\\');
  const part: fc.Arbitrary<Part> = fc.record({
    name: fc.oneof(fc.constant('file'), fc.string({ maxLength: 8 }).filter(encodable)),
    value: fc.oneof(
      fc.record({
        file: fc.tuple(fc.oneof(text, fc.string({ unit: 'grapheme', maxLength: 300 })).filter(encodable), fc.string({ maxLength: 40 }), fc.array(fc.nat(255), { maxLength: 64 })),
      }),
      fc.record({ text: fc.oneof(text, fc.constant(SECRET)) }),
    ),
  });

  it(
    'POST /workers/runs/{run_id}/artifacts: never a 5xx, and what it stores downloads again',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: fc.array(part, { maxLength: 3 }).map((parts) => ({ parts })) }, { weight: 1, arbitrary: anyValue.map((json) => ({ json })) }), async (sent) => {
          const path = `/workers/runs/${f.runId}/artifacts`;
          const options: CallOptions = { method: 'POST', key: f.workerKey, headers: lease() };
          if ('json' in sent) options.body = sent.json;
          else {
            options.form = new FormData();
            for (const { name, value } of sent.parts) {
              if ('text' in value) options.form.append(name, value.text);
              else options.form.append(name, new File([new Uint8Array(value.file[2])], value.file[0], { type: value.file[1] }));
            }
          }
          const res = await call(path, options);
          const what = `artifacts ${JSON.stringify(sent).slice(0, 300)}`;
          if (res.status !== 201) return checkResponse(res, what);
          const artifact = await res.json<{ id: string; size_bytes: number }>();
          const download = await call(`/runs/${f.runId}/artifacts/${artifact.id}`);
          expect(download.status, what).toBe(200);
          for (const [name, value] of download.headers) expect(value, `${what} ${name}`).toMatch(/^[\x20-\x7e]*$/);
          expect((await download.arrayBuffer()).byteLength, what).toBe(artifact.size_bytes);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});

describe('random and mutated bodies', () => {
  for (const [name, endpoint] of Object.entries(endpoints)) {
    it(
      `${name}: never a 5xx, the error envelope on a 4xx, no secret in the response`,
      async () => {
        await fc.assert(
          fc.asyncProperty(inputs(endpoint), async (sent) => {
            const what = `${name} ${'raw' in sent ? sent.raw : JSON.stringify(sent.json)?.slice(0, 300)}`;
            await checkResponse(await send(endpoint, sent), what);
          }),
          { numRuns: RUNS },
        );
      },
      TIMEOUT_MS,
    );
  }
});

describe('after the fuzzing', () => {
  it('still serves every list and the fixtures, none showing a secret', async () => {
    const reads = [
      '/jobs?limit=500',
      '/runs?limit=500',
      '/credentials?limit=500',
      '/schedules?limit=500',
      '/workspaces?limit=500',
      `/workspaces/${f.workspaceId}/members?limit=500`,
      '/api-keys?limit=500',
      '/system/workers?limit=500',
      '/system/metrics',
      '/users/me',
      `/jobs/${f.jobId}`,
      `/runs/${f.runId}`,
      `/runs/${f.runId}/logs`,
      `/credentials/${f.credId}`,
      `/schedules/${f.scheduleId}`,
      `/workspaces/${f.workspaceId}`,
    ];
    for (const path of reads) {
      const res = await call(path);
      expect(res.status, path).toBe(200);
      await checkResponse(res, path);
    }
    // Every run the fuzzing queued, read one by one: stored values must still serialise.
    for (const run of await callJson<{ id: string }[]>('/runs?limit=500', {}, 200)) await checkResponse(await call(`/runs/${run.id}`), run.id);
    for (const job of await callJson<{ id: string }[]>('/jobs?limit=500', {}, 200)) await checkResponse(await call(`/jobs/${job.id}`), job.id);
    // The Worker runs in this isolate, so a polluted prototype from a `__proto__` key would show here.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
