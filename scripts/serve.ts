// Serves the control plane on workerd through Miniflare directly, without `wrangler dev`'s proxy: the
// Worker bundled as wrangler bundles it, the bindings wrangler.toml declares, state in wrangler's layout.
// Usage: node scripts/serve.ts [--port 8080] [--host 127.0.0.1] [--persist-to .state] [--entry bench/x.ts]
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, stop as stopEsbuild } from 'esbuild';
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, MiniflareCoreError } from 'miniflare';
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler';
import { controlSettings } from './control-settings.ts';
import { REPO_ROOT } from './dev-vars-file.ts';

const CONFIG_PATH = join(REPO_ROOT, 'wrangler.toml');

export interface ServeOptions {
  host: string;
  port: number;
  /** The folder `wrangler dev --persist-to` is given: both keep their data in `<state>/v3`, laid out alike. */
  state: string;
  /** Replaces wrangler.toml's `main` (benchmarks use instrumented entries). */
  entry?: string;
  /** Bindings over those from wrangler.toml's [vars] and .dev.vars (the command line passes the environment's ORCH_* settings). */
  vars?: Record<string, string>;
  /** Further Workers in the same runtime (benchmarks), with the control plane's compatibility settings and D1 database. */
  extraWorkers?: Record<string, unknown>[];
  /** The port of the runtime's inspector (benchmarks that profile the control plane). */
  inspectorPort?: number;
}

/** esbuild with the options `wrangler dev` gives it for a modules Worker (conditions, target, names kept). */
export async function bundleWorker(entry: string, define: Record<string, string> = {}): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2024',
    supported: { 'import-source': true, using: true },
    conditions: ['workerd', 'worker', 'browser'],
    keepNames: true,
    // workerd provides these itself (node:* under the nodejs_compat flag).
    external: ['cloudflare:*', 'node:*'],
    define: { 'process.env.NODE_ENV': '"development"', ...define },
    logLevel: 'warning',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`bundling ${entry} produced no output`);
  return output.text;
}

/** wrangler announces the .dev.vars it reads; `make run` says itself where its settings come from. */
function quietly<T>(read: () => T): T {
  const level = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = 'warn';
  try {
    return read();
  } finally {
    if (level === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = level;
  }
}

/** The Miniflare options for the control plane, from wrangler.toml as `wrangler dev` reads it. */
export async function controlPlaneOptions(opts: ServeOptions) {
  const config = unstable_readConfig({ config: CONFIG_PATH });
  const { workerOptions, define, main } = quietly(() => unstable_getMiniflareWorkerOptions(CONFIG_PATH));
  const script = await bundleWorker(resolve(REPO_ROOT, opts.entry ?? main ?? 'control/src/index.ts'), define);
  // Locally each Dispatcher's alarm reaps, as under `wrangler dev`, which fires the cron only when asked to.
  const { modulesRules: _rules, cronTriggers: _crons, ...worker } = workerOptions;
  return convertV4MiniflareOptions({
    host: opts.host,
    port: opts.port,
    rootPath: REPO_ROOT,
    resourcePersistencePath: join(resolve(opts.state), 'v3'),
    log: new Log(LogLevel.WARN),
    // A line per request would cost each one a trip to Node, and the workers' log batches would flood the output.
    logRequests: false,
    // The placeholder `request.cf`: otherwise Miniflare fetches Cloudflare's from the network on every start.
    cf: false,
    ...(opts.inspectorPort === undefined ? {} : { inspectorPort: opts.inspectorPort }),
    workers: [
      {
        ...worker,
        // Durable Object storage is kept per Worker name, so the name must be wrangler's for the state to carry over.
        name: config.name,
        modulesRoot: REPO_ROOT,
        // The bundle stays in memory; the path only names the module.
        modules: [{ type: 'ESModule', path: join(REPO_ROOT, '.wrangler/serve/index.js'), contents: script }],
        bindings: { ...(worker.bindings as Record<string, unknown> | undefined), ...opts.vars },
      },
      ...(opts.extraWorkers ?? []).map((extra) => ({
        compatibilityDate: worker.compatibilityDate,
        compatibilityFlags: worker.compatibilityFlags,
        d1Databases: worker.d1Databases,
        modulesRoot: REPO_ROOT,
        ...extra,
      })),
    ],
  } as Parameters<typeof convertV4MiniflareOptions>[0]);
}

export async function serve(opts: ServeOptions): Promise<{ url: URL; miniflare: Miniflare }> {
  const miniflare = new Miniflare(await controlPlaneOptions(opts));
  try {
    return { url: await miniflare.ready, miniflare };
  } catch (err) {
    await miniflare.dispose().catch(() => undefined);
    throw err;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'persist-to': { type: 'string', default: '.state' },
      entry: { type: 'string' },
    },
  });
  let served: Awaited<ReturnType<typeof serve>>;
  try {
    // Settings travel in memory to the runtime, never on a command line where `ps` would show them.
    // Local receivers are the norm on a developer's machine: webhooks may target loopback here unless
    // .dev.vars or the environment says otherwise.
    const vars = { ORCH_WEBHOOK_ALLOW_PRIVATE: 'true', ...(controlSettings().values as Record<string, string>) };
    served = await serve({ host: values.host, port: Number(values.port), state: resolve(REPO_ROOT, values['persist-to']), vars, ...(values.entry ? { entry: values.entry } : {}) });
  } catch (err) {
    if (!(err instanceof MiniflareCoreError)) throw err;
    process.stderr.write(`serve: ${err.message}\n`);
    process.exit(1);
  }
  // The bundle is built; esbuild's service process has nothing more to do.
  await stopEsbuild();
  process.stderr.write(`serve: the control plane is ready on ${served.url.origin} (Miniflare, state in ${values['persist-to']}/)\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void served.miniflare.dispose().finally(() => process.exit(0));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
}

if (import.meta.main) await main();
