// Bearer-key authentication and role checks for every /api/v1 route except health.
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { loadConfig } from '../config.ts';
import { findCallerByKeyHash, findCallerByKeyId, findMemberRole, touchApiKey, type CallerRow } from '../db/findCaller.ts';
import { readStreamTicket } from './tickets.ts';
import { sha256Hex } from '../db/ids.ts';
import type { AppEnv } from '../env.ts';
import { ApiError, forbidden } from '../http/errors.ts';
import { BOOTSTRAP_KEY_ID, BOOTSTRAP_USER_ID, effectiveRole, hasRole, type EffectiveRole, type MemberRole } from './roles.ts';

export interface AuthContext {
  userId: string;
  /** `default` for the bootstrap admin key. */
  keyId: string;
  /** For a key held to the workspace it was made in (keys made with it will be too), that workspace; else null. */
  keyHome: string | null;
  workspaceId: string;
  role: EffectiveRole;
}

export { BOOTSTRAP_KEY_ID, BOOTSTRAP_USER_ID };
const WORKSPACE_HEADER = 'X-Workspace-ID';

const unauthenticated = (detail: string) => new ApiError(401, 'unauthenticated', detail);

function bearerToken(header: string | undefined): string {
  if (!header) throw unauthenticated('Not authenticated');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw unauthenticated('Authorization header must be "Bearer <api key>"');
  return match[1];
}

/** Constant-time string comparison, so the bootstrap key can't be guessed byte by byte from timing. */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Resolves the caller from a key and workspace id; shared by header auth and the `?token=` forms. */
export async function resolveCaller(env: AppEnv['Bindings'], token: string, workspaceId: string, waitUntil?: (p: Promise<unknown>) => void): Promise<AuthContext> {
  const config = await loadConfig(env);
  if (sameText(token, config.adminKey)) return callerByKeyId(env, BOOTSTRAP_KEY_ID, workspaceId);
  const caller = await findCallerByKeyHash(env.DB, await sha256Hex(token), workspaceId);
  if (!caller) throw unauthenticated('Invalid API key');
  const auth = admitCaller(caller, workspaceId);
  if (caller.due) waitUntil?.(touchApiKey(env.DB, caller.keyId).catch(() => undefined));
  return auth;
}

/**
 * Whether a stored key may act in `workspaceId`, and as what. A person's own key follows its user into
 * every workspace they belong to, capped there by their membership. A worker key (a machine credential
 * for one workspace's queue), a key made for someone else and any key made with one act only where
 * they were made (and in workspaces they created), so adding a member somewhere grants nobody power
 * anywhere else; a worker key dies with its maker's admin role there.
 */
export function admitCaller(caller: CallerRow, workspaceId: string): AuthContext {
  if (caller.revoked) throw unauthenticated('Invalid API key');
  if (caller.keyRole === 'worker' && caller.creatorRole !== 'owner' && caller.creatorRole !== 'admin') {
    throw unauthenticated('Invalid API key: whoever created this worker key is no longer an admin of its workspace');
  }
  if (caller.outOfScope) throw forbidden(`This API key is valid only in workspace '${caller.keyWorkspaceId}' (and workspaces it created)`);
  if (!caller.memberRole) throw forbidden(`Not a member of workspace '${workspaceId}'`);
  return { userId: caller.userId, keyId: caller.keyId, keyHome: caller.bound ? caller.keyWorkspaceId : null, workspaceId, role: effectiveRole(caller.keyRole, caller.memberRole) };
}

function workspaceFromHeader(value: string | undefined): string {
  const id = value?.trim() || 'default';
  if (id.length > 64 || !/^[A-Za-z0-9_-]+$/.test(id)) {
    throw new ApiError(400, 'invalid_workspace', `${WORKSPACE_HEADER} must be 1-64 letters, digits, '-' or '_'`);
  }
  return id;
}

// Browsers can't set headers on EventSource or WebSocket, so the live log stream also accepts the
// original's `?token=&workspace_id=` form, or the key as a `bearer.<key>` WebSocket subprotocol; the
// workspace feed (`/events`, which the original never had) only the subprotocol, keeping keys out of URLs.
function streamCredentials(c: Context<AppEnv>): { token: string; workspace: string | undefined } | null {
  if (c.req.header('Authorization')) return null;
  const logStream = c.req.path.endsWith('/logs/stream');
  if (!logStream && c.req.path !== '/api/v1/events') return null;
  const fromProtocol = c.req
    .header('Sec-WebSocket-Protocol')
    ?.split(',')
    .map((p) => p.trim())
    .find((p) => p.startsWith('bearer.'))
    ?.slice('bearer.'.length);
  const token = (logStream ? c.req.query('token') : undefined) || fromProtocol;
  if (!token) return null;
  return { token, workspace: c.req.query('workspace_id') ?? c.req.header(WORKSPACE_HEADER) };
}

/** A stream ticket acts as the key that asked for it, for its one run, while both stay valid. */
async function ticketCaller(c: Context<AppEnv>, token: string): Promise<AuthContext> {
  const { keyRing } = await loadConfig(c.env);
  const ticket = await readStreamTicket(keyRing, token);
  const runId = /\/runs\/([^/]+)\/logs\/stream$/.exec(c.req.path)?.[1];
  if (!ticket || ticket.runId !== runId) throw unauthenticated('Invalid or expired stream ticket');
  return callerByKeyId(c.env, ticket.keyId, ticket.workspaceId);
}

/** Resolves a key known by its id (a ticket's, a stream's) as `resolveCaller` resolves one by its value. */
export async function callerByKeyId(env: AppEnv['Bindings'], keyId: string, workspaceId: string): Promise<AuthContext> {
  if (keyId === BOOTSTRAP_KEY_ID) {
    const memberRole = await findMemberRole(env.DB, BOOTSTRAP_USER_ID, workspaceId);
    if (!memberRole) throw forbidden(`Not a member of workspace '${workspaceId}'`);
    return { userId: BOOTSTRAP_USER_ID, keyId, keyHome: null, workspaceId, role: effectiveRole('owner', memberRole) };
  }
  const caller = await findCallerByKeyId(env.DB, keyId, workspaceId);
  if (!caller) throw unauthenticated('Invalid API key');
  return admitCaller(caller, workspaceId);
}

// Two calls are hot paths whose own statement re-checks, in the transaction that acts, that the key
// may still make them: a claim (`keyMayTakeWork`) and creating a run (`keyMayCreateRuns`), both in
// db/findCaller.ts, the rules of `admitCaller` and of the call's role check in SQL. So either skips the
// key's lookup while its caller is remembered here (per isolate, for REMEMBER_MS, per call, workspace
// and key); a key revoked or unseated meanwhile still gets nothing from its next call, and
// `authenticateAfresh` gives it its 401 or 403.
const REMEMBER_MS = 60_000;
const REMEMBERED_MAX = 1_000;

interface RememberedCall {
  path: string;
  /** Why the call's role check refuses `auth` (the 403's detail), or null: only callers it lets through are remembered. */
  refusal: (auth: AuthContext) => string | null;
  callers: Map<string, { auth: AuthContext; until: number }>;
}

const rememberedCalls: RememberedCall[] = [
  { path: '/api/v1/workers/claim', refusal: workerEndpointRefusal, callers: new Map() },
  // Creating a run is a change: `member`, as for any (app.ts's baseline role policy).
  { path: '/api/v1/runs', refusal: (auth) => roleRefusal(auth, 'member'), callers: new Map() },
];

/** The remembered call this request makes (always a POST with an Authorization header), if any. */
function rememberedCall(c: Context<AppEnv>): RememberedCall | undefined {
  if (c.req.method !== 'POST' || !c.req.header('Authorization')) return undefined;
  return rememberedCalls.find((call) => call.path === c.req.path);
}

const callerKey = async (token: string, workspaceId: string) => `${workspaceId} ${await sha256Hex(token)}`;

async function rememberedCaller(call: RememberedCall, env: AppEnv['Bindings'], token: string, workspaceId: string, waitUntil?: (p: Promise<unknown>) => void): Promise<AuthContext> {
  const key = await callerKey(token, workspaceId);
  const known = call.callers.get(key);
  if (known && known.until > Date.now()) return known.auth;
  call.callers.delete(key);
  const auth = await resolveCaller(env, token, workspaceId, waitUntil);
  if (call.refusal(auth) === null) {
    if (call.callers.size >= REMEMBERED_MAX) call.callers.delete(call.callers.keys().next().value!);
    call.callers.set(key, { auth, until: Date.now() + REMEMBER_MS });
  }
  return auth;
}

/**
 * A remembered call refused by its own statement: the caller is forgotten and looked up again, which
 * throws the 401 or 403 a key no longer admitted (or no longer of the role the call needs) gets.
 * Returns the fresh caller when the key is still good (the claim's worker is unknown, say).
 */
export async function authenticateAfresh(c: Context<AppEnv>): Promise<AuthContext> {
  const token = bearerToken(c.req.header('Authorization'));
  const { workspaceId } = c.get('auth');
  const call = rememberedCall(c);
  if (call) call.callers.delete(await callerKey(token, workspaceId));
  const auth = await resolveCaller(c.env, token, workspaceId);
  const refusal = call?.refusal(auth);
  if (refusal) throw forbidden(refusal);
  c.set('auth', auth);
  return auth;
}

export const authenticate = createMiddleware<AppEnv>(async function authenticate(c, next) {
  const ticket = !c.req.header('Authorization') && c.req.path.endsWith('/logs/stream') ? c.req.query('ticket') : undefined;
  if (ticket) {
    c.set('auth', await ticketCaller(c, ticket));
    return next();
  }
  const stream = streamCredentials(c);
  const token = stream ? stream.token : bearerToken(c.req.header('Authorization'));
  const workspaceId = workspaceFromHeader(stream ? stream.workspace : c.req.header(WORKSPACE_HEADER));
  let waitUntil: ((p: Promise<unknown>) => void) | undefined;
  try {
    const ctx = c.executionCtx;
    waitUntil = (p) => ctx.waitUntil(p);
  } catch {
    waitUntil = undefined;
  }
  const call = rememberedCall(c);
  c.set('auth', await (call ? rememberedCaller(call, c.env, token, workspaceId, waitUntil) : resolveCaller(c.env, token, workspaceId, waitUntil)));
  await next();
});

/** Why a caller may not do what needs `needed` in its workspace (the 403's detail), or null when it may. */
export function roleRefusal(auth: AuthContext, needed: MemberRole): string | null {
  if (hasRole(auth.role, needed)) return null;
  return auth.role === 'worker' ? 'Worker keys may only use the worker endpoints' : `This action needs the '${needed}' role in workspace '${auth.workspaceId}'; you are '${auth.role}'`;
}

/**
 * Why a caller may not use the worker endpoints (the 403's detail), or null. Claims carry decrypted
 * credentials, so people's keys may not take work off the queue; the bootstrap key may, as the
 * original worker's default ORCH_API_KEY.
 */
export function workerEndpointRefusal(auth: AuthContext): string | null {
  return auth.role === 'worker' || auth.keyId === BOOTSTRAP_KEY_ID ? null : 'The worker endpoints need a worker key (POST /api-keys with role worker, as an admin)';
}

/** Lets the request through only when the caller's role in the workspace is at least `needed`. */
export function requireRole(needed: MemberRole) {
  return createMiddleware<AppEnv>(async function requireRoleMiddleware(c, next) {
    const refusal = roleRefusal(c.get('auth'), needed);
    if (refusal) throw forbidden(refusal);
    await next();
  });
}
