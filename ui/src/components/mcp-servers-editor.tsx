// The MCP servers a run or job gives its agent: each one a stdio command (with arguments and
// environment) or a streamable HTTP endpoint (with headers), added and removed in place.
import { emptyMcpServer, type McpServerForm } from '../lib/agent-form.ts';
import { Field, MapEditor, type Submit } from './form.tsx';

function ServerEditor(props: { server: McpServerForm; index: number; submit: Submit; onChange: (server: McpServerForm) => void; onRemove: () => void }) {
  const { server, index, submit } = props;
  const at = `mcp_servers.${index}`;
  const set = (changes: Partial<McpServerForm>) => props.onChange({ ...server, ...changes });
  const title = `MCP server ${index + 1}${server.name.trim() ? ` (${server.name.trim()})` : ''}`;
  return (
    <fieldset class="mcp-server">
      <legend>{title}</legend>
      <div class="grid-2">
        <Field label="Name" error={submit.fieldError(`${at}.name`)} hint="Letters, digits, '-' or '_'; the agent sees its tools under it.">
          {(f) => <input {...f} value={server.name} onInput={(e) => set({ name: e.currentTarget.value })} autocomplete="off" />}
        </Field>
        <Field label="Transport" error={submit.fieldError(`${at}.type`)}>
          {(f) => (
            <select {...f} value={server.type} onChange={(e) => set({ type: e.currentTarget.value as McpServerForm['type'] })}>
              <option value="stdio">stdio (a command the worker starts)</option>
              <option value="streamable_http">Streamable HTTP (a URL)</option>
            </select>
          )}
        </Field>
      </div>
      {server.type === 'stdio' ? (
        <>
          <Field label="Command" error={submit.fieldError(`${at}.command`)}>
            {(f) => <input {...f} class="mono" value={server.command} onInput={(e) => set({ command: e.currentTarget.value })} autocomplete="off" placeholder="npx" />}
          </Field>
          <Field label="Arguments" error={submit.fieldError(`${at}.args`)} hint="One per line.">
            {(f) => <textarea {...f} class="mono short" value={server.args} onInput={(e) => set({ args: e.currentTarget.value })} rows={3} />}
          </Field>
          <MapEditor legend="Environment" noun={`server ${index + 1} variable`} value={server.env} onChange={(env) => set({ env })} error={submit.fieldError(`${at}.env`)} />
        </>
      ) : (
        <>
          <Field label="URL" error={submit.fieldError(`${at}.uri`)}>
            {(f) => <input {...f} type="url" class="mono" value={server.url} onInput={(e) => set({ url: e.currentTarget.value })} autocomplete="off" placeholder="https://mcp.example.com/mcp" />}
          </Field>
          <MapEditor legend="Headers" noun={`server ${index + 1} header`} value={server.headers} onChange={(headers) => set({ headers })} error={submit.fieldError(`${at}.headers`)} />
        </>
      )}
      <div class="grid-2">
        <Field label="Server timeout (seconds)" error={submit.fieldError(`${at}.timeout`)} hint="Blank for goose's default.">
          {(f) => <input {...f} type="number" inputMode="numeric" value={server.timeout} onInput={(e) => set({ timeout: e.currentTarget.value })} />}
        </Field>
      </div>
      <button type="button" class="ghost danger" onClick={props.onRemove}>
        Remove {title}
      </button>
    </fieldset>
  );
}

export function McpServersEditor(props: { servers: McpServerForm[]; submit: Submit; onChange: (servers: McpServerForm[]) => void }) {
  // The list's own error (e.g. names not unique), not one of a server's fields.
  const listError = props.submit.error?.fields.find((f) => f.field === 'mcp_servers')?.message;
  return (
    <fieldset class="mcp-servers">
      <legend>MCP servers</legend>
      {props.servers.length === 0 && <p class="muted">None: the agent gets goose's built-in tools only.</p>}
      {props.servers.map((server, i) => (
        <ServerEditor
          key={server.key}
          server={server}
          index={i}
          submit={props.submit}
          onChange={(next) => props.onChange(props.servers.map((s, j) => (j === i ? next : s)))}
          onRemove={() => props.onChange(props.servers.filter((_, j) => j !== i))}
        />
      ))}
      {listError && <p class="field-error">{listError}</p>}
      <button type="button" class="ghost" onClick={() => props.onChange([...props.servers, emptyMcpServer()])}>
        Add MCP server
      </button>
    </fieldset>
  );
}
