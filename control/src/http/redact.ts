// What a viewer is shown of the values a job or run hands its agent. Environment variables and MCP
// servers' env and headers are the usual places for keys besides credentials, so below `member` (who
// may edit them) their values are hidden; the names stay, so a viewer still sees what is set.
import { hasRole, type EffectiveRole } from '../auth/roles.ts';

export const HIDDEN_VALUE = '[hidden]';

type Values = Record<string, unknown>;

const hidden = (map: unknown): unknown =>
  map && typeof map === 'object' ? Object.fromEntries(Object.keys(map).map((name) => [name, HIDDEN_VALUE])) : map;

function hiddenServer(server: Values): Values {
  const shown = { ...server };
  if ('env' in shown) shown['env'] = hidden(shown['env']);
  if ('headers' in shown) shown['headers'] = hidden(shown['headers']);
  return shown;
}

/** A job or run as `role` may see it. */
export function shownTo<T extends { mcp_servers: Values[]; env_vars?: Record<string, string> }>(role: EffectiveRole, view: T): T {
  if (hasRole(role, 'member')) return view;
  const shown = { ...view, mcp_servers: view.mcp_servers.map(hiddenServer) };
  if (view.env_vars) shown.env_vars = hidden(view.env_vars) as Record<string, string>;
  return shown;
}
