// The API document: served without a key, OpenAPI 3.1, and describing every route the app answers.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { call, callJson } from './helpers.ts';

// Read off control/src/routes/*.ts. A route added there must be added here, and it must be documented.
const expectedOperations = [
  'GET /health',
  'POST /runs/{run_id}/rerun',
  'GET /system/activity',
  'GET /events',
  'GET /runs/{run_id}/attempts',
  'GET /jobs',
  'POST /jobs',
  'GET /jobs/{job_id}',
  'PUT /jobs/{job_id}',
  'DELETE /jobs/{job_id}',
  'POST /jobs/{job_id}/run',
  'GET /runs',
  'POST /runs',
  'GET /runs/{run_id}',
  'POST /runs/{run_id}/cancel',
  'GET /runs/{run_id}/logs',
  'GET /runs/{run_id}/logs/download',
  'GET /runs/{run_id}/logs/stream',
  'POST /runs/{run_id}/logs/ticket',
  'GET /runs/{run_id}/artifacts',
  'GET /runs/{run_id}/artifacts/{artifact_id}',
  'GET /credentials',
  'POST /credentials',
  'GET /credentials/{cred_id}',
  'PUT /credentials/{cred_id}',
  'DELETE /credentials/{cred_id}',
  'GET /schedules',
  'POST /schedules',
  'GET /schedules/preview',
  'GET /schedules/{schedule_id}',
  'POST /schedules/{schedule_id}/run',
  'GET /schedules/{schedule_id}/fires',
  'PUT /schedules/{schedule_id}',
  'DELETE /schedules/{schedule_id}',
  'GET /skills',
  'POST /skills',
  'GET /skills/{skill_id}',
  'PUT /skills/{skill_id}',
  'DELETE /skills/{skill_id}',
  'GET /skills/{skill_id}/files/{file_path}',
  'GET /workers/skills/{skill_id}/files/{file_path}',
  'GET /workspaces',
  'POST /workspaces',
  'GET /workspaces/{workspace_id}',
  'PUT /workspaces/{workspace_id}',
  'DELETE /workspaces/{workspace_id}',
  'GET /workspaces/{workspace_id}/members',
  'POST /workspaces/{workspace_id}/members',
  'PUT /workspaces/{workspace_id}/members/{user_id}',
  'DELETE /workspaces/{workspace_id}/members/{user_id}',
  'GET /users/me',
  'GET /api-keys',
  'POST /api-keys',
  'DELETE /api-keys/{key_id}',
  'GET /system/workers',
  'GET /system/metrics',
  'POST /workers/register',
  'POST /workers/heartbeat',
  'POST /workers/deregister',
  'POST /workers/claim',
  'POST /workers/poll',
  'GET /workers/signals',
  'POST /workers/runs/{run_id}/start',
  'POST /workers/runs/{run_id}/logs',
  'POST /workers/runs/{run_id}/complete',
  'POST /workers/runs/{run_id}/artifacts',
  'GET /webhooks',
  'POST /webhooks',
  'GET /webhooks/{webhook_id}',
  'PUT /webhooks/{webhook_id}',
  'DELETE /webhooks/{webhook_id}',
  'GET /webhooks/{webhook_id}/deliveries',
  'POST /webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver',
].map((op) => op.replace(' /', ' /api/v1/'));

const httpMethods = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

function documentedOperations(doc: any): string[] {
  return Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => httpMethods.has(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** Every `$ref` in the document, wherever it sits. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.push(v);
      else refsIn(v, found);
    }
  }
  return found;
}

function resolvePointer(doc: any, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<any>((node, part) => (node && typeof node === 'object' ? node[part] : undefined), doc);
}

describe('the OpenAPI document', () => {
  it('is served as JSON without a key, and the same with the admin key', async () => {
    const anonymous = await call('/openapi.json', { key: null });
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = await anonymous.json<any>();
    expect(await callJson('/openapi.json', {}, 200)).toEqual(doc);
  });

  it('is OpenAPI 3.1 with a title, a version and bearer security', async () => {
    const doc = await callJson('/openapi.json', { key: null }, 200);
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it('documents every route the control plane serves', async () => {
    const doc = await callJson('/openapi.json', { key: null }, 200);
    const documented = documentedOperations(doc);
    expect(documented.sort()).toEqual([...expectedOperations].sort());
  });

  it('documents every route registered on the app, so none is served undocumented', async () => {
    const doc = await callJson('/openapi.json', { key: null }, 200);
    const documented = new Set(documentedOperations(doc));
    const undocumentedByDesign = new Set(['GET /openapi.json', 'GET /docs']);
    // Hono spells path parameters `:name`; the document spells them `{name}`. `ALL` entries are middleware.
    const served = createApp()
      .routes.filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`)
      .filter((op) => !undocumentedByDesign.has(op));
    expect(served).toEqual(expect.arrayContaining(['GET /api/v1/jobs/{job_id}', 'POST /api/v1/workers/runs/{run_id}/complete']));
    expect(served.filter((op) => !documented.has(op))).toEqual([]);
  });

  it('declares each path parameter, and resolves every $ref', async () => {
    const doc = await callJson('/openapi.json', { key: null }, 200);
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const [method, operation] of Object.entries<any>(item)) {
        if (!httpMethods.has(method)) continue;
        const declared = (operation.parameters ?? []).filter((p: any) => p.in === 'path');
        expect(declared.map((p: any) => p.name).sort(), `${method} ${path}`).toEqual(inPath);
        for (const p of declared) expect(p.required, `${method} ${path} ${p.name}`).toBe(true);
        expect(Object.keys(operation.responses ?? {}).length, `${method} ${path}`).toBeGreaterThan(0);
      }
    }
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) expect(resolvePointer(doc, ref), ref).toBeDefined();
  });

  it('documents the JSON error envelope for authenticated routes', async () => {
    const doc = await callJson('/openapi.json', { key: null }, 200);
    expect(doc.components.schemas.Error.required).toEqual(expect.arrayContaining(['detail', 'code']));
    for (const op of expectedOperations.filter((o) => o !== 'GET /api/v1/health')) {
      const [method, path] = op.split(' ') as [string, string];
      const responses = doc.paths[path][method.toLowerCase()].responses;
      expect(responses['422']?.content?.['application/json']?.schema, op).toEqual({ $ref: '#/components/schemas/Error' });
    }
  });
});

describe('the API docs page', () => {
  it('serves Swagger UI as HTML, pointing at the document', async () => {
    const res = await call('/docs', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<html/i);
    expect(html).toContain('/openapi.json');
    expect(html).toMatch(/swagger/i);
  });

  it('loads Swagger UI from its own assets, so the docs work offline', async () => {
    const html = await (await call('/docs', { key: null })).text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.sort()).toEqual(['/docs/assets/swagger-ui-dist/swagger-ui-bundle.js', '/docs/assets/swagger-ui-dist/swagger-ui.css']);
    for (const path of sources) {
      const asset = await env.ASSETS!.fetch(`http://fc.test${path}`);
      expect(asset.status, path).toBe(200);
      expect((await asset.text()).length, path).toBeGreaterThan(10_000);
    }
  });
});
