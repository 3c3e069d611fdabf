// The worker's entry point: reads its configuration, then registers, claims and runs until told to
// stop. The first SIGTERM/SIGINT drains (no new claims, running runs finish); a second cancels them.
import { GooseAgent } from './agents/goose.ts';
import { ControlPlaneClient } from './client.ts';
import { parseWorkerConfig, WorkerConfigError, type WorkerConfig } from './config.ts';
import { secretsInEnv } from './mask.ts';
import { createRunner } from './runner.ts';
import { sweepWorkRoot } from './sweep.ts';
import { Worker, type WorkerLog } from './worker.ts';

/** After the second signal, how long cancelled runs get to report before the process exits anyway. */
const FORCED_EXIT_MS = 30_000;

const log: WorkerLog = {
  info: (msg, fields) => write('info', msg, fields),
  warn: (msg, fields) => write('warn', msg, fields),
};

function write(level: string, msg: string, fields?: Record<string, unknown>): void {
  const extra = fields ? ` ${JSON.stringify(fields)}` : '';
  process.stderr.write(`${new Date().toISOString()} ${level} ${msg}${extra}\n`);
}

/** The agent inherits the machine's environment, but never the worker's own settings (its API key among them). */
function agentBaseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && !key.startsWith('ORCH_')) base[key] = value;
  return base;
}

function loadConfig(): WorkerConfig {
  try {
    return parseWorkerConfig(process.env);
  } catch (err) {
    if (err instanceof WorkerConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

const config = loadConfig();
const client = new ControlPlaneClient(config);
const baseEnv = agentBaseEnv(process.env);
const runner = createRunner({
  client,
  agents: [new GooseAgent({ bin: config.gooseBin, provider: config.defaultProvider, model: config.defaultModel })],
  workRoot: config.workRoot,
  baseEnv,
  workerSecrets: secretsInEnv(baseEnv),
  log,
});
const worker = new Worker(config, client, runner, log);

let signals = 0;
function onSignal(signal: NodeJS.Signals): void {
  signals++;
  if (signals === 1) {
    log.info('draining: no new runs; running runs finish (signal again to cancel them)', { signal, running: worker.runningRuns });
    void worker.drain().then(() => {
      log.info('drained; exiting');
      process.exit(0);
    });
    return;
  }
  if (signals === 2) {
    log.warn('cancelling running runs and exiting', { signal, running: worker.runningRuns });
    setTimeout(() => process.exit(1), FORCED_EXIT_MS).unref();
    void worker.cancelAll().then(() => process.exit(0));
  }
}
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

log.info('starting', { server: config.serverUrl, name: config.workerName, concurrency: config.concurrency, goose: config.gooseBin });
// Agents a killed predecessor left running would otherwise run on, unseen, beside ours.
await sweepWorkRoot(config.workRoot, log);
worker.start();
