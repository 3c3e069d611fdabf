// What a job or run tells its agent: which CLI, its model settings, and the MCP servers it may use.
import { z } from '@hono/zod-openapi';
import { envMap, stringMap } from './common.ts';

export const agentTypes = ['goose'] as const;

export const agentType = z.enum(agentTypes).openapi({ description: 'The agent CLI that runs the task.' });

export const agentConfig = z
  .object({
    provider: z.string().min(1).max(64).optional().openapi({ description: 'goose --provider, e.g. openai, anthropic' }),
    model: z.string().min(1).max(200).optional().openapi({ description: 'goose --model' }),
    max_turns: z.number().int().min(1).max(10000).optional().openapi({ description: 'goose --max-turns' }),
  })
  .catchall(z.unknown())
  .openapi('AgentConfig', { description: 'Agent settings; unset keys take the worker\'s defaults when the run starts.' });

const mcpName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "must be letters, digits, '-' or '_'");

const stdioServer = z.object({
  name: mcpName,
  type: z.literal('stdio'),
  command: z.string().min(1).max(1024),
  args: z.array(z.string().max(4096)).max(100).default([]),
  env: envMap.default({}),
  timeout: z.number().int().min(1).max(3600).optional(),
});

const httpServer = z.object({
  name: mcpName,
  type: z.literal('streamable_http'),
  uri: z.url({ protocol: /^https?$/ }),
  headers: stringMap.default({}),
  env: envMap.default({}),
  timeout: z.number().int().min(1).max(3600).optional(),
});

// `type` defaults to stdio, as in the original, so old job bodies without it stay valid.
export const mcpServer = z
  .preprocess(
    (value) => (value && typeof value === 'object' && !('type' in value) ? { ...value, type: 'stdio' } : value),
    z.discriminatedUnion('type', [stdioServer, httpServer]),
  )
  .openapi('McpServer', { description: 'An MCP server the agent loads as a goose extension.' });

export const mcpServers = z
  .array(mcpServer)
  .max(50)
  .refine((servers) => new Set(servers.map((s) => s.name)).size === servers.length, 'MCP server names must be unique');

export type AgentConfig = z.infer<typeof agentConfig>;
export type McpServer = z.infer<typeof mcpServer>;
