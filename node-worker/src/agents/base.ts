// What the runner needs from an agent CLI: how to set it up and start it for one run, how to turn its
// output into log lines, and how to read the run's outcome from what it printed.
import type { Stream } from '../log-streamer.ts';

export interface Usage {
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  cost_usd: number | null;
}

/** Everything an agent is told about one run. */
export interface AgentRun {
  runId: string;
  prompt: string;
  agentConfig: Record<string, unknown>;
  mcpServers: Record<string, unknown>[];
  /** The job's env_vars and the run's credentials, already merged (credentials win). */
  env: Record<string, string>;
  /** Private to this run and deleted after it: the agent's config, state and HOME live here. */
  homeDir: string;
  /** The agent's working directory. */
  workDir: string;
  /** Where the agent must leave files to keep: uploaded as the run's artifacts when it ends. */
  artifactsDir: string;
  /** The worker's own environment, already stripped of the worker's settings. */
  baseEnv: Record<string, string>;
}

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** One per run: reads the agent's output as it arrives. */
  output: AgentOutput;
}

export interface ParsedLine {
  stream: Stream;
  text: string;
  /** A short name for structured events (`tool_request`, `complete`, …). */
  event?: string;
  /** The event's fields, for viewers that render them (a tool call's id, name and arguments, …). */
  data?: Record<string, unknown>;
}

export interface AgentOutcome {
  /** Whether the agent did its job; a run stopped from outside is decided by the runner, not here. */
  status: 'completed' | 'failed';
  result: string | null;
  error: string | null;
  usage: Usage | null;
}

export interface AgentOutput {
  /** Turns one raw output line into zero or more log lines. */
  parse(stream: 'stdout' | 'stderr', raw: string): ParsedLine[];
  /** Log lines still held back (e.g. half a sentence) once the process has exited. */
  flush(): ParsedLine[];
  /** The outcome, from everything parsed and the exit code (null when killed by a signal). */
  outcome(exitCode: number | null): AgentOutcome;
}

export interface Agent {
  readonly type: string;
  /** Writes the agent's configuration under `run.homeDir` and says how to start it. */
  prepare(run: AgentRun): Promise<Launch>;
}

export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}
