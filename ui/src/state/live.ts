// Keeping what is on screen current: one WebSocket per tab to the workspace feed (`/events`), which
// names the kinds of things that changed, and hooks that fetch their data again when their topic is
// named. Without the feed (it dropped, or the key cannot travel as a subprotocol) they poll instead,
// never more often than every 2 s; hidden tabs do neither and catch up when shown again.
import { effect, signal } from '@preact/signals';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, apiPage, ApiError, type RequestOptions } from '../api/client.ts';
import { session } from './session.ts';

export type Topic = 'runs' | 'workers' | 'jobs' | 'schedules' | 'credentials' | 'skills' | 'api-keys' | 'members' | 'workspaces';

/** Polling without the feed: the slowest a list may lag is this, plus a request. */
export const POLL_MS = 2_000;
/** With the feed up, a slow safety net all the same. */
const BACKSTOP_MS = 30_000;
const DEBOUNCE_MS = 150;

export const feedConnected = signal(false);
/** A clock for relative times ("3 s ago"), ticking once a second. */
export const now = signal(Date.now());
setInterval(() => (now.value = Date.now()), 1_000);

const listeners = new Set<(topics: Set<string>) => void>();
// A WebSocket subprotocol must be an HTTP token; other keys use polling.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

let socket: WebSocket | null = null;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let retryMs = 1_000;

function connect(key: string, workspaceId: string): void {
  if (!TOKEN.test(key) || typeof WebSocket === 'undefined') return;
  const url = `${location.origin.replace(/^http/, 'ws')}/api/v1/events?workspace_id=${encodeURIComponent(workspaceId)}`;
  const ws = new WebSocket(url, [`bearer.${key}`, 'flight-control']);
  socket = ws;
  ws.onopen = () => {
    retryMs = 1_000;
    feedConnected.value = true;
    // Whatever changed while the feed was down.
    notify(new Set(['*']));
  };
  ws.onmessage = (e) => {
    const message = JSON.parse(String(e.data)) as { type: string; topics?: string[] };
    if (message.type === 'changed' && message.topics) notify(new Set(message.topics));
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    feedConnected.value = false;
    retryTimer = setTimeout(() => connect(key, workspaceId), retryMs);
    retryMs = Math.min(retryMs * 2, 30_000);
  };
}

function notify(topics: Set<string>): void {
  for (const listener of listeners) listener(topics);
}

// The feed follows the session: a new key or workspace, a new connection; signed out, none.
effect(() => {
  const current = session.value;
  clearTimeout(retryTimer);
  const old = socket;
  socket = null;
  old?.close();
  feedConnected.value = false;
  retryMs = 1_000;
  if (current) connect(current.key, current.workspaceId);
});

/** Calls `reload` when any of `topics` changes (debounced), and polls while the feed is down. */
export function useLive(topics: Topic[], reload: () => void): void {
  const latest = useRef(reload);
  latest.current = reload;
  const key = topics.join(',');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => latest.current(), DEBOUNCE_MS);
    };
    const wanted = new Set(key.split(','));
    const listener = (changed: Set<string>) => {
      if (changed.has('*') || [...changed].some((t) => wanted.has(t))) soon();
    };
    listeners.add(listener);
    let last = Date.now();
    const poll = setInterval(() => {
      if (document.hidden) return;
      if (Date.now() - last >= (feedConnected.value ? BACKSTOP_MS : POLL_MS)) {
        last = Date.now();
        latest.current();
      }
    }, POLL_MS);
    const visible = () => {
      if (!document.hidden) soon();
    };
    document.addEventListener('visibilitychange', visible);
    return () => {
      clearTimeout(timer);
      clearInterval(poll);
      listeners.delete(listener);
      document.removeEventListener('visibilitychange', visible);
    };
  }, [key]);
}

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => Promise<void>;
}

/** GETs `path` (null: nothing yet), again whenever one of `topics` changes. */
export function useResource<T>(path: string | null, topics: Topic[], options: Pick<RequestOptions, 'query'> = {}): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: ApiError | null; loading: boolean }>({ data: undefined, error: null, loading: path !== null });
  const query = JSON.stringify(options.query ?? {});
  const workspace = session.value?.workspaceId;
  const generation = useRef(0);
  const reload = useCallback(async () => {
    if (path === null) return;
    const mine = ++generation.current;
    try {
      const data = await api<T>(path, { query: JSON.parse(query) });
      if (mine === generation.current) setState({ data, error: null, loading: false });
    } catch (err) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error: err instanceof ApiError ? err : new ApiError(0, 'error', String(err)), loading: false }));
    }
  }, [path, query, workspace]);
  useEffect(() => {
    setState((s) => ({ ...s, loading: true }));
    void reload();
  }, [reload]);
  useLive(topics, () => void reload());
  return { ...state, reload };
}

export interface ListResource<T> extends Resource<T[]> {
  /** Whether more items are there than shown. */
  more: boolean;
  loadMore: () => void;
}

/** A list, newest first as the API gives it: the first `limit` items kept live, more on request. */
export function useList<T>(path: string, topics: Topic[], query: RequestOptions['query'] = {}, pageSize = 50): ListResource<T> {
  const [limit, setLimit] = useState(pageSize);
  const [state, setState] = useState<{ data: T[] | undefined; error: ApiError | null; loading: boolean; more: boolean }>({ data: undefined, error: null, loading: true, more: false });
  const queryKey = JSON.stringify(query);
  const workspace = session.value?.workspaceId;
  const generation = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const page = await apiPage<T>(path, { query: { ...JSON.parse(queryKey), limit } });
      if (mine === generation.current) setState({ data: page.items, error: null, loading: false, more: page.next !== null });
    } catch (err) {
      if (mine === generation.current) setState((s) => ({ ...s, error: err instanceof ApiError ? err : new ApiError(0, 'error', String(err)), loading: false }));
    }
  }, [path, queryKey, limit, workspace]);
  useEffect(() => {
    void reload();
  }, [reload]);
  useLive(topics, () => void reload());
  return { ...state, reload, loadMore: () => setLimit((l) => Math.min(l + pageSize, 500)) };
}
