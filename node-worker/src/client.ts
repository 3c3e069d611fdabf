// The worker's HTTP client for the control plane: validates every response against the shared
// contract and returns `{ok, data}` or `{ok: false, ...}` instead of throwing.
import type { z } from 'zod';
import {
  LEASE_HEADER,
  WorkerStartResult as StartResult,
  WorkerClaimResult,
  WorkerCompleteResult,
  WorkerDeregistered,
  WorkerHeartbeatResult,
  WorkerLogResult,
  WorkerRegistered,
  WorkerSignals,
  type LogLine,
  type WorkerCompleteBody,
} from '../../control/src/contract/worker.ts';
import { Artifact } from '../../control/src/contract/artifacts.ts';
import type { WorkerConfig } from './config.ts';

export type ApiResult<T> =
  | { ok: true; data: T }
  /** status 0 means the control plane could not be reached. */
  | { ok: false; status: number; code: string; error: string };

export interface HeldLease {
  run_id: string;
  lease_token: string;
}

const REQUEST_TIMEOUT_MS = 15_000;

export class ControlPlaneClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(config: Pick<WorkerConfig, 'serverUrl' | 'apiKey' | 'workspaceId'>) {
    this.base = `${config.serverUrl}/api/v1`;
    this.headers = { authorization: `Bearer ${config.apiKey}`, 'x-workspace-id': config.workspaceId, 'content-type': 'application/json' };
  }

  register(body: { name: string; labels: Record<string, string>; concurrency: number; version?: string }) {
    return this.call('POST', '/workers/register', WorkerRegistered, { body });
  }

  /** Leaves the fleet: the worker shows offline, and anything it still holds is reaped at once. */
  deregister(workerId: string) {
    return this.call('POST', '/workers/deregister', WorkerDeregistered, { body: { worker_id: workerId }, timeoutMs: 5_000 });
  }

  heartbeat(workerId: string, runs: HeldLease[], draining: boolean) {
    return this.call('POST', '/workers/heartbeat', WorkerHeartbeatResult, { body: { worker_id: workerId, runs, ...(draining ? { status: 'draining' } : {}) } });
  }

  /** Long-polls for work; `signal` aborts the wait (e.g. on shutdown). */
  claim(workerId: string, maxRuns: number, waitSeconds: number, signal?: AbortSignal) {
    return this.call('POST', '/workers/claim', WorkerClaimResult, {
      body: { worker_id: workerId, max_runs: maxRuns, wait_seconds: waitSeconds },
      timeoutMs: waitSeconds * 1000 + REQUEST_TIMEOUT_MS,
      signal,
    });
  }

  signals(workerId: string, waitSeconds: number, signal?: AbortSignal) {
    const query = `?worker_id=${encodeURIComponent(workerId)}&wait_seconds=${waitSeconds}`;
    return this.call('GET', `/workers/signals${query}`, WorkerSignals, { timeoutMs: waitSeconds * 1000 + REQUEST_TIMEOUT_MS, signal });
  }

  start(runId: string, leaseToken: string) {
    return this.call('POST', `/workers/runs/${encodeURIComponent(runId)}/start`, StartResult, { leaseToken });
  }

  logs(runId: string, leaseToken: string, lines: LogLine[]) {
    return this.call('POST', `/workers/runs/${encodeURIComponent(runId)}/logs`, WorkerLogResult, { leaseToken, body: { lines } });
  }

  /** Uploads one file of a run as a multipart `file` part. */
  uploadArtifact(runId: string, leaseToken: string, file: File) {
    const form = new FormData();
    form.set('file', file);
    return this.call('POST', `/workers/runs/${encodeURIComponent(runId)}/artifacts`, Artifact, { leaseToken, form, timeoutMs: 300_000 });
  }

  /** One file of a skill, as bytes (its checksum is the caller's to check). */
  async skillFile(skillId: string, path: string): Promise<ApiResult<Uint8Array>> {
    const url = `${this.base}/workers/skills/${encodeURIComponent(skillId)}/files/${path.split('/').map(encodeURIComponent).join('/')}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: this.headers.authorization!, 'x-workspace-id': this.headers['x-workspace-id']! }, signal: AbortSignal.timeout(300_000) });
    } catch (err) {
      return { ok: false, status: 0, code: 'unreachable', error: err instanceof Error ? err.message : String(err) };
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { code?: unknown; detail?: unknown };
      return { ok: false, status: res.status, code: typeof body.code === 'string' ? body.code : 'http_error', error: typeof body.detail === 'string' ? body.detail : `HTTP ${res.status}` };
    }
    return { ok: true, data: new Uint8Array(await res.arrayBuffer()) };
  }

  complete(runId: string, leaseToken: string, body: WorkerCompleteBody) {
    return this.call('POST', `/workers/runs/${encodeURIComponent(runId)}/complete`, WorkerCompleteResult, { leaseToken, body });
  }

  private async call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    opts: { body?: unknown; form?: FormData; leaseToken?: string; timeoutMs?: number; signal?: AbortSignal | undefined } = {},
  ): Promise<ApiResult<z.infer<S>>> {
    const headers: Record<string, string> = { ...this.headers };
    if (opts.leaseToken) headers[LEASE_HEADER] = opts.leaseToken;
    // fetch writes a multipart content type with its boundary.
    if (opts.form) delete headers['content-type'];
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        signal,
        ...(opts.form ? { body: opts.form } : opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      });
    } catch (err) {
      const aborted = opts.signal?.aborted === true;
      return { ok: false, status: 0, code: aborted ? 'aborted' : 'unreachable', error: err instanceof Error ? err.message : String(err) };
    }
    const text = await res.text().catch(() => '');
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      return { ok: false, status: res.status, code: 'bad_response', error: `non-JSON response (${res.status})` };
    }
    if (!res.ok) {
      const body = (json ?? {}) as { code?: unknown; detail?: unknown };
      return { ok: false, status: res.status, code: typeof body.code === 'string' ? body.code : 'http_error', error: typeof body.detail === 'string' ? body.detail : `HTTP ${res.status}` };
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) return { ok: false, status: res.status, code: 'bad_response', error: `response does not match the contract: ${parsed.error.message}` };
    return { ok: true, data: parsed.data };
  }
}
