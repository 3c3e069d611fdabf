// Bad input on every endpoint gets a 4xx in the one error envelope, naming what is wrong; never a 500.
// Per-resource cases already live beside each resource (jobs: 400/413/cursor; schedules: cron; …);
// this file covers the same rules across all the other endpoints.
import { Hono } from 'hono';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_BODY_BYTES } from '../src/config.ts';
import { handleError } from '../src/http/errors.ts';
import { encodeCursor } from '../src/http/pagination.ts';
import { call, callJson, expectError, oneOfEverything, unique, type CallOptions, type Fixture } from './helpers.ts';


let f: Fixture;

beforeAll(async () => {
  f = await oneOfEverything();
});

interface BodyEndpoint {
  method: 'POST' | 'PUT';
  path: () => string;
  worker?: boolean;
}

/** Every endpoint that reads a JSON body, with paths to things that exist. */
const bodyEndpoints: BodyEndpoint[] = [
  { method: 'POST', path: () => '/jobs' },
  { method: 'PUT', path: () => `/jobs/${f.jobId}` },
  { method: 'POST', path: () => '/runs' },
  { method: 'POST', path: () => '/credentials' },
  { method: 'PUT', path: () => `/credentials/${f.credId}` },
  { method: 'POST', path: () => '/schedules' },
  { method: 'PUT', path: () => `/schedules/${f.scheduleId}` },
  { method: 'POST', path: () => '/workspaces' },
  { method: 'PUT', path: () => `/workspaces/${f.workspaceId}` },
  { method: 'POST', path: () => `/workspaces/${f.workspaceId}/members` },
  { method: 'PUT', path: () => `/workspaces/${f.workspaceId}/members/${f.memberUserId}` },
  { method: 'POST', path: () => '/api-keys' },
  { method: 'POST', path: () => '/workers/register', worker: true },
  { method: 'POST', path: () => '/workers/heartbeat', worker: true },
  { method: 'POST', path: () => '/workers/claim', worker: true },
  { method: 'POST', path: () => '/workers/deregister', worker: true },
  { method: 'POST', path: () => `/workers/runs/${f.runId}/logs`, worker: true },
  { method: 'POST', path: () => `/workers/runs/${f.runId}/complete`, worker: true },
];

const label = (e: BodyEndpoint) => `${e.method} ${e.path()}`;

function send(e: BodyEndpoint, options: CallOptions): Promise<Response> {
  const key = e.worker ? f.workerKey : undefined;
  // Lease-fenced calls check the header before the body; send one so the body is what gets judged.
  const headers = { ...(e.path().startsWith('/workers/runs/') ? { 'x-lease-token': 'not-a-lease' } : {}), ...options.headers };
  return call(e.path(), { ...options, method: e.method, key, headers });
}

/** Asserts the JSON error envelope with the given status and code, and returns it. */
async function expectEnvelope(res: Response, status: number, code: string, what: string) {
  const text = await res.text();
  expect(res.status, `${what}: ${text}`).toBe(status);
  expect(res.headers.get('content-type'), what).toMatch(/^application\/json/);
  const body = JSON.parse(text);
  expect(body, what).toMatchObject({ detail: expect.any(String), code });
  return body as { detail: string; code: string; fields?: { field: string; message: string }[] };
}

async function expectInvalidField(res: Response, field: string, what: string) {
  const body = await expectEnvelope(res, 422, 'validation_failed', what);
  expect(body.fields?.map((x) => x.field), what).toContain(field);
  expect(body.detail, what).toContain(field);
  return body;
}

describe('malformed JSON', () => {
  const malformed = [
    ['truncated', '{"name": "x", '],
    ['empty', ''],
    ['trailing garbage', '{"name": "x"} trailing'],
    ['single quotes', "{'name': 'x'}"],
    ['a bare word', 'undefined'],
  ] as const;

  it('answers 400 malformed_json, saying the body is not JSON, on every endpoint that takes a body', async () => {
    for (const e of bodyEndpoints) {
      for (const [kind, rawBody] of malformed) {
        const body = await expectEnvelope(await send(e, { rawBody }), 400, 'malformed_json', `${label(e)} ${kind}`);
        expect(body.detail).toMatch(/JSON/);
      }
    }
  });

  it('answers 422 for JSON that is not an object', async () => {
    for (const e of bodyEndpoints) {
      for (const rawBody of ['[]', 'null', '"text"', '42', 'true']) {
        const body = await expectEnvelope(await send(e, { rawBody }), 422, 'validation_failed', `${label(e)} ${rawBody}`);
        expect(body.detail).toMatch(/expected object/);
      }
    }
  });

  it('answers 415 in the envelope for a body that is not declared as JSON, saying what to send', async () => {
    for (const e of bodyEndpoints) {
      const body = await expectEnvelope(await send(e, { rawBody: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type', label(e));
      expect(body.detail, label(e)).toBe("Unsupported Content-Type 'text/plain': JSON bodies are sent as application/json, and uploads (skills, artifacts) as multipart/form-data");
    }
  });

  it('answers 415 saying what to send for a body with no Content-Type, and for JSON sent to an upload', async () => {
    const e = bodyEndpoints[0]!;
    const none = await expectEnvelope(await send(e, { rawBody: '{}', headers: { 'content-type': '' } }), 415, 'unsupported_media_type', label(e));
    expect(none.detail).toMatch(/^Unsupported Content-Type \(none sent\): /);
    const upload = await call('/skills', { method: 'POST', body: { skill_md: 'x' } });
    const json = await expectEnvelope(upload, 415, 'unsupported_media_type', 'POST /skills with JSON');
    expect(json.detail).toMatch(/^Unsupported Content-Type 'application\/json': .* uploads \(skills, artifacts\) as multipart\/form-data$/);
  });
});

describe('query parameters', () => {
  it('says a parameter was given more than once, rather than that it is not a number or a status', async () => {
    for (const [path, field] of [['/jobs?limit=1&limit=2', 'limit'], ['/runs?status=queued&status=running', 'status']]) {
      const body = await expectEnvelope(await call(path!), 422, 'validation_failed', path!);
      expect(body.fields, path).toEqual([{ field, message: 'is given more than once; give it once' }]);
    }
    // Once, each is taken.
    expect((await call('/jobs?limit=1')).status).toBe(200);
    expect((await call('/runs?status=queued')).status).toBe(200);
  });
});

describe('wrong types and missing fields', () => {
  // [endpoint, as METHOD and path template; body; the field the error must name]
  const cases: [string, unknown, string][] = [
    ['POST /runs', { task_prompt: ['not', 'a', 'string'] }, 'task_prompt'],
    ['POST /runs', null, 'body'],
    ['POST /jobs', [{ name: 'j', task_prompt: 'p' }], 'body'],
    ['POST /runs', { task_prompt: 'p', priority: 'high' }, 'priority'],
    ['POST /runs', { task_prompt: 'p', required_labels: ['gpu'] }, 'required_labels'],
    ['POST /runs', { task_prompt: 'p', max_attempts: 1.5 }, 'max_attempts'],
    ['PUT /jobs/{job}', { timeout_seconds: '600' }, 'timeout_seconds'],
    ['PUT /jobs/{job}', { agent_config: { max_turns: 0 } }, 'agent_config.max_turns'],
    ['PUT /credentials/{cred}', { env_var: 7 }, 'env_var'],
    ['POST /schedules', { cron_expression: '@daily' }, 'job_definition_id'],
    ['POST /schedules', { job_definition_id: 'x', cron_expression: 5 }, 'cron_expression'],
    ['PUT /schedules/{schedule}', { timezone: 3 }, 'timezone'],
    ['POST /workspaces', { name: 'n' }, 'slug'],
    ['POST /workspaces', { name: 'n', slug: 'Not A Slug' }, 'slug'],
    ['PUT /workspaces/{ws}', { name: 12 }, 'name'],
    ['POST /workspaces/{ws}/members', { username: 'has space' }, 'username'],
    ['PUT /workspaces/{ws}/members/{user}', {}, 'role'],
    ['PUT /workspaces/{ws}/members/{user}', { role: 'superuser' }, 'role'],
    ['POST /api-keys', { name: 'k', user_id: 42 }, 'user_id'],
    ['POST /workers/register', {}, 'name'],
    ['POST /workers/register', { name: 'w', concurrency: 0 }, 'concurrency'],
    ['POST /workers/heartbeat', { worker_id: 'w', runs: [{ run_id: 'r' }] }, 'runs.0.lease_token'],
    ['POST /workers/claim', {}, 'worker_id'],
    ['POST /workers/deregister', { worker_id: '' }, 'worker_id'],
    ['POST /workers/claim', { worker_id: 'w', wait_seconds: 31 }, 'wait_seconds'],
    ['POST /workers/runs/{run}/logs', { lines: [] }, 'lines'],
    ['POST /workers/runs/{run}/logs', { lines: [{ line: 'x', sequence: 0 }] }, 'lines.0.sequence'],
    ['POST /workers/runs/{run}/complete', { status: 'done' }, 'status'],
    ['POST /workers/runs/{run}/complete', { status: 'completed', usage: { cost_usd: -1 } }, 'usage.cost_usd'],
  ];
  const endpointFor = (name: string) => {
    const [method, template] = name.split(' ') as [string, string];
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const found = bodyEndpoints.find((e) => e.method === method && pattern.test(e.path()));
    if (!found) throw new Error(`no endpoint ${name}`);
    return found;
  };

  it('answers 422 validation_failed naming the field, in fields and in detail', async () => {
    for (const [name, body, field] of cases) {
      await expectInvalidField(await send(endpointFor(name), { body }), field, `${name} ${JSON.stringify(body)}`);
    }
  });

  it('checks the lease header of lease-fenced worker calls, naming it; without one, a run claimed with a token is not the caller\'s', async () => {
    for (const path of [`/workers/runs/${f.runId}/start`, `/workers/runs/${f.runId}/logs`, `/workers/runs/${f.runId}/complete`]) {
      const body = path.endsWith('/logs') ? { lines: [{ line: 'x', sequence: 1 }] } : path.endsWith('/complete') ? { status: 'completed' } : undefined;
      await expectInvalidField(await call(path, { method: 'POST', key: f.workerKey, body, headers: { 'x-lease-token': 't'.repeat(129) } }), 'x-lease-token', path);
      const missing = await expectError(await call(path, { method: 'POST', key: f.workerKey, body }), 409, 'lease_lost');
      expect(missing.detail, path).toContain('X-Lease-Token');
    }
  });

  it('validates query parameters of the worker poll and signals calls', async () => {
    await expectInvalidField(await call('/workers/poll', { method: 'POST', key: f.workerKey }), 'worker_id', 'poll without worker_id');
    await expectInvalidField(await call(`/workers/signals?worker_id=${f.workerId}&wait_seconds=soon`, { key: f.workerKey }), 'wait_seconds', 'signals');
  });

  it('rejects a path id longer than any id, naming the parameter', async () => {
    await expectInvalidField(await call(`/runs/${'r'.repeat(65)}`), 'run_id', 'long run id');
    await expectInvalidField(await call(`/workspaces/${'w'.repeat(65)}`), 'workspace_id', 'long workspace id');
  });

  it('checks up to 100 credential names in one go (a job or run naming that many gets 422, not an error)', async () => {
    const names = Array.from({ length: 100 }, (_, i) => unique(`absent-${i}`));
    for (const path of ['/jobs', '/runs']) {
      const body = await expectInvalidField(await call(path, { body: { name: 'many', task_prompt: 'p', credential_ids: names } }), 'credential_ids', path);
      expect(body.detail).toContain(`'${names[99]}'`);
    }
    await expectInvalidField(await call(`/jobs/${f.jobId}`, { method: 'PUT', body: { credential_ids: names } }), 'credential_ids', 'PUT job');
    await expectInvalidField(await call('/runs', { body: { task_prompt: 'p', credential_ids: [...names, 'one-too-many'] } }), 'credential_ids', '101 names');
  });
});

describe('oversized bodies', () => {
  const limit = DEFAULT_MAX_BODY_BYTES;

  /** A JSON body of exactly `bytes` bytes: a valid run with padding in agent_config, which keeps any key. */
  function runOfSize(bytes: number): string {
    const shell = JSON.stringify({ task_prompt: 'p', agent_config: { pad: '' } });
    return shell.replace('"pad":""', `"pad":"${'x'.repeat(bytes - shell.length)}"`);
  }

  it('answers 413 payload_too_large, naming the limit, on every endpoint that takes a body', async () => {
    const rawBody = `{"pad":"${'x'.repeat(limit)}"}`;
    for (const e of bodyEndpoints) {
      const body = await expectEnvelope(await send(e, { rawBody }), 413, 'payload_too_large', label(e));
      expect(body.detail).toContain(String(limit));
    }
  });

  it('accepts a body of exactly the limit and refuses one byte more', async () => {
    const atLimit = runOfSize(limit);
    expect(new TextEncoder().encode(atLimit).length).toBe(limit);
    expect((await call('/runs', { rawBody: atLimit })).status).toBe(201);
    await expectEnvelope(await call('/runs', { rawBody: runOfSize(limit + 1) }), 413, 'payload_too_large', 'limit + 1');
  });

  it('refuses an oversized body sent without a Content-Length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"task_prompt":"'));
        if (sent > limit) {
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
    const { exports } = await import('cloudflare:workers');
    const res = await exports.default.fetch('http://fc.test/api/v1/runs', {
      method: 'POST',
      headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
      body: stream,
    });
    await expectEnvelope(res, 413, 'payload_too_large', 'streamed body');
  });
});

describe('pagination parameters', () => {
  const lists = ['/jobs', '/runs', '/credentials', '/schedules', '/workspaces', '/workspaces/default/members', '/api-keys', '/system/workers'];
  const bad: [string, string][] = [
    ['limit=0', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=501', 'limit'],
    ['limit=10000', 'limit'],
    ['limit=1e9', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=', 'limit'],
    [`cursor=${'c'.repeat(513)}`, 'cursor'],
    // Base64 of JSON that is not a [key, id] pair, and text that is not base64 at all.
    [`cursor=${btoa('{"key":"a","id":"b"}')}`, 'cursor'],
    [`cursor=${btoa('["only one"]')}`, 'cursor'],
    ['cursor=%00%01%02', 'cursor'],
  ];

  it('answers 422 naming the parameter on every list, never 500', async () => {
    for (const path of lists) {
      for (const [query, field] of bad) await expectInvalidField(await call(`${path}?${query}`), field, `${path}?${query}`);
    }
  });

  it('serves the smallest and largest page sizes', async () => {
    for (const path of lists) {
      for (const limit of [1, 500]) {
        const res = await call(`${path}?limit=${limit}`);
        expect(res.status, `${path}?limit=${limit}`).toBe(200);
        expect((await res.json<unknown[]>()).length).toBeLessThanOrEqual(limit);
      }
    }
  });

  it('treats a well-formed cursor past every row as an empty page', async () => {
    const cursor = encodeCursor({ key: '~~~~', id: '~~~~' });
    for (const path of ['/credentials', '/workspaces']) expect(await callJson(`${path}?cursor=${cursor}`, {}, 200), path).toEqual([]);
  });

  it("validates a run log's paging: after >= 0 and 1 <= limit <= 10000", async () => {
    const logs = `/runs/${f.runId}/logs`;
    for (const [query, field] of [['after=-1', 'after'], ['after=x', 'after'], ['limit=0', 'limit'], ['limit=10001', 'limit']] as const) {
      await expectInvalidField(await call(`${logs}?${query}`), field, query);
    }
    expect((await call(`${logs}?limit=10000`)).status).toBe(200);
  });
});

describe('unknown ids', () => {
  const nobody = '000000000000';

  it("answers 404 not_found naming the resource where other tests don't already", async () => {
    const cases: [string, CallOptions, string][] = [
      [`/runs/${nobody}/logs`, {}, 'Run not found'],
      [`/workspaces/${nobody}`, { method: 'PUT', body: { name: 'x' } }, 'Workspace not found'],
      [`/workspaces/${nobody}`, { method: 'DELETE' }, 'Workspace not found'],
      [`/workspaces/${nobody}/members`, { body: { username: 'someone' } }, 'Workspace not found'],
      [`/workspaces/${f.workspaceId}/members/${nobody}`, { method: 'PUT', body: { role: 'viewer' } }, 'Member not found'],
      [`/workspaces/${f.workspaceId}/members/${nobody}`, { method: 'DELETE' }, 'Member not found'],
    ];
    for (const [path, options, detail] of cases) {
      const body = await expectEnvelope(await call(path, options), 404, 'not_found', `${options.method ?? 'GET'} ${path}`);
      expect(body.detail).toBe(detail);
    }
  });

  it('answers a worker call about an unknown run with 409 lease_lost, as for a run it does not hold', async () => {
    const lease = { 'x-lease-token': 'whatever' };
    const calls: [string, unknown][] = [
      [`/workers/runs/${nobody}/start`, undefined],
      [`/workers/runs/${nobody}/logs`, { lines: [{ line: 'x', sequence: 1 }] }],
      [`/workers/runs/${nobody}/complete`, { status: 'completed' }],
    ];
    for (const [path, body] of calls) {
      await expectEnvelope(await call(path, { method: 'POST', key: f.workerKey, headers: lease, body }), 409, 'lease_lost', path);
    }
  });

  it('answers a method a known path does not take with a JSON 405 naming those it does, also in Allow', async () => {
    for (const [method, path, allowed] of [
      ['PATCH', '/jobs', 'GET, POST'],
      ['PATCH', `/jobs/${f.jobId}`, 'GET, PUT, DELETE'],
      ['DELETE', '/runs', 'GET, POST'],
      ['PUT', '/users/me', 'GET'],
    ] as const) {
      const res = await call(path, { method, body: {} });
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allowed);
      const body = await expectEnvelope(res, 405, 'method_not_allowed', `${method} ${path}`);
      expect(body.detail).toBe(`${method} is not allowed on /api/v1${path}; it takes ${allowed}`);
    }
    await expectEnvelope(await call(`/jobs/${f.jobId}/nothing-here`, { method: 'PATCH' }), 404, 'not_found', 'an unknown path');
  });
});

describe('unexpected errors', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answer a generic 500 and log the error class and query, never its bound parameters', async () => {
    const logged: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    const app = new Hono().onError(handleError);
    app.get('/boom', () => {
      const cause = new Error('D1_ERROR: too many SQL variables at offset 42: SQLITE_ERROR');
      throw new Error('Failed query: select "name" from "credentials" where "name" = ?\nparams: sk-live-very-secret', { cause });
    });
    app.get('/inline', () => {
      throw new TypeError('bad value params: sk-live-very-secret');
    });

    for (const path of ['/boom', '/inline']) {
      const res = await app.request(path);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ detail: 'Internal server error', code: 'internal_error' });
      expect(text).not.toContain('secret');
    }
    expect(logged).toHaveLength(2);
    expect(logged.join('\n')).not.toContain('sk-live');
    const [boom, inline] = logged.map((line) => JSON.parse(line));
    expect(boom).toMatchObject({
      path: '/boom',
      error: 'Error',
      message: 'Failed query: select "name" from "credentials" where "name" = ?',
      cause: { error: 'Error', message: expect.stringContaining('too many SQL variables') },
    });
    expect(inline).toMatchObject({ error: 'TypeError', message: 'bad value' });
  });
});
