// Chaos: a fleet of real workers runs short goose runs against the scripted model while workers are
// killed (SIGKILL) and restarted, the control plane is frozen (SIGSTOP/SIGCONT of its runtime) and the
// control plane is killed and restarted. Reports runs completed, lost, stuck, executed more than once
// outside a requeue for a lost worker (goose's first request to the model, per run, against the run's
// attempts), and the time to drain.
// Usage: node bench/chaos.ts [--runs 800] [--workers 4] [--concurrency 1] [--kill-every 20] [--freeze 20]
//   [--control-every 90] [--down 5] [--deadline-minutes 40]
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { ReceivedRequest } from '../node-worker/test/fixtures/model-server.ts';
import { listRuns, sleep, startFleet, stopOnSignal, type Fleet, type FleetWorker } from './fleet.ts';
import { api, machine } from './harness.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '800' },
    workers: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '1' },
    'kill-every': { type: 'string', default: '20' },
    freeze: { type: 'string', default: '20' },
    'control-every': { type: 'string', default: '90' },
    down: { type: 'string', default: '5' },
    'deadline-minutes': { type: 'string', default: '40' },
  },
});
const RUNS = Number(values.runs);
const WORKERS = Number(values.workers);
const CONCURRENCY = Number(values.concurrency);
const KILL_EVERY_MS = Number(values['kill-every']) * 1000;
const FREEZE_MS = Number(values.freeze) * 1000;
const CONTROL_EVERY_MS = Number(values['control-every']) * 1000;
const DOWN_MS = Number(values.down) * 1000;
const DEADLINE_MS = Number(values['deadline-minutes']) * 60_000;
// Enough that a run killed again and again is still requeued rather than failed: a lost run is a finding, not noise.
const MAX_ATTEMPTS = 20;
const FINAL = new Set(['completed', 'failed', 'timeout', 'cancelled']);
const MARKER = /Chaos run (\d+):/;

interface Fault {
  at: number;
  kind: 'worker killed' | 'control frozen' | 'control killed';
  worker?: { name: string; id: string | null };
  /** When the worker or control plane answered again. */
  back?: number;
}

interface RunRow {
  id: string;
  status: string;
  task_prompt: string;
  attempt: number;
  failure_reason: string | null;
  created_at: string;
  completed_at: string | null;
}

interface Attempt {
  attempt: number;
  worker_id: string;
  claimed_at: string;
  started_at: string | null;
  ended_at: string | null;
  outcome: string | null;
}

const latency = (r: RunRow) => Date.parse(r.completed_at ?? r.created_at) - Date.parse(r.created_at);

/** The worker's name and which of its lives (registrations) the id is. */
function workerName(fleet: Fleet, id: string): string {
  for (const w of fleet.workers) {
    const lives = [...w.output.matchAll(/registered \{"worker_id":"([^"]+)"/g)].map((m) => m[1]);
    const life = lives.indexOf(id);
    if (life >= 0) return `${w.name}#${life + 1}`;
  }
  return 'unknown worker';
}

const say = (line: string) => process.stderr.write(`chaos ${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** Polls `probe` through control-plane outages: errors count as "not yet". */
async function tolerant<T>(probe: () => Promise<T>): Promise<T | null> {
  try {
    return await probe();
  } catch {
    return null;
  }
}

/** The run number of each goose execution: its first request to the model, before any tool has run. */
function executionsByRun(requests: ReceivedRequest[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const { body } of requests) {
    const messages = body.messages ?? [];
    if (messages.some((m) => m.role === 'tool')) continue;
    const n = MARKER.exec(JSON.stringify(messages.filter((m) => m.role === 'user')))?.[1];
    if (n !== undefined) counts.set(Number(n), (counts.get(Number(n)) ?? 0) + 1);
  }
  return counts;
}

async function chaosLoops(fleet: Fleet, faults: Fault[], done: AbortSignal): Promise<void> {
  // The waits between faults end as soon as every run has.
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      done.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  const workerChaos = async () => {
    while (!done.aborted) {
      await pause(KILL_EVERY_MS);
      if (done.aborted) return;
      const worker: FleetWorker = fleet.workers[Math.floor(Math.random() * fleet.workers.length)]!;
      const fault: Fault = { at: Date.now(), kind: 'worker killed', worker: { name: worker.name, id: worker.id } };
      faults.push(fault);
      await fleet.killWorker(worker);
      say(`killed ${worker.name} (SIGKILL)`);
      await sleep(1_000);
      // It registers only while the control plane answers; a restart that fails is tried again.
      for (;;) {
        try {
          await fleet.restartWorker(worker);
          break;
        } catch (err) {
          say(`restarting ${worker.name} failed, again: ${String(err).slice(0, 200)}`);
        }
      }
      fault.back = Date.now();
    }
  };
  const controlChaos = async () => {
    for (let round = 0; !done.aborted; round++) {
      await pause(CONTROL_EVERY_MS);
      if (done.aborted) return;
      if (round % 2 === 0) {
        const fault: Fault = { at: Date.now(), kind: 'control frozen' };
        faults.push(fault);
        say(`freezing the control plane for ${FREEZE_MS / 1000} s (SIGSTOP)`);
        await fleet.freezeControl(FREEZE_MS);
        fault.back = Date.now();
        say('control plane thawed (SIGCONT)');
      } else {
        const fault: Fault = { at: Date.now(), kind: 'control killed' };
        faults.push(fault);
        await fleet.killControl();
        say(`killed the control plane (SIGKILL); starting it again in ${DOWN_MS / 1000} s`);
        await sleep(DOWN_MS);
        await fleet.startControl();
        fault.back = Date.now();
        say(`control plane back after ${((fault.back - fault.at) / 1000).toFixed(1)} s`);
      }
    }
  };
  await Promise.all([workerChaos(), controlChaos()]);
}

const fleet = await startFleet({ concurrency: CONCURRENCY });
stopOnSignal(fleet.stop);
let failed = false;
try {
  say(`control plane on ${fleet.base}, scripted model on ${fleet.model.url}`);
  for (let i = 1; i <= WORKERS; i++) await fleet.startWorker(`chaos-${i}`);
  say(`${WORKERS} workers registered (concurrency ${CONCURRENCY} each); queueing ${RUNS} runs`);
  const load = execSync('uptime').toString().trim();

  const started = Date.now();
  const runNumber = new Map<string, number>();
  for (let i = 0; i < RUNS; i += 20) {
    const batch = Array.from({ length: Math.min(20, RUNS - i) }, (_, j) => i + j);
    const created = await Promise.all(
      batch.map((n) =>
        api<{ id: string }>(fleet.base, '/runs', {
          body: {
            name: `chaos ${n}`,
            task_prompt: `Chaos run ${n}: run the shell command, then say what happened.`,
            agent_type: 'goose',
            agent_config: { provider: 'openai', model: 'scripted-model', max_turns: 5 },
            env_vars: { OPENAI_HOST: fleet.model.url },
            credential_ids: ['openai'],
            timeout_seconds: 120,
            max_attempts: MAX_ATTEMPTS,
          },
        }),
      ),
    );
    created.forEach((run, j) => runNumber.set(run.id, batch[j]!));
  }
  say(`queued ${RUNS} runs in ${((Date.now() - started) / 1000).toFixed(1)} s; chaos starts`);

  const faults: Fault[] = [];
  const chaosDone = new AbortController();
  const chaos = chaosLoops(fleet, faults, chaosDone.signal);
  let drainedAt: number | null = null;
  let lastReport = 0;
  while (Date.now() - started < DEADLINE_MS) {
    await sleep(2_000);
    const metrics = await tolerant(() => api<{ runs: Record<string, number> }>(fleet.base, '/system/metrics'));
    if (!metrics) continue;
    const counts = metrics.runs;
    const open = (counts.queued ?? 0) + (counts.assigned ?? 0) + (counts.running ?? 0);
    if (Date.now() - lastReport > 30_000) {
      lastReport = Date.now();
      say(`${((Date.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify(counts)}`);
    }
    if (open === 0) {
      drainedAt = Date.now();
      break;
    }
  }
  chaosDone.abort();
  say(drainedAt ? 'every run has ended; stopping the chaos' : 'deadline reached; stopping the chaos');
  await chaos;
  // Orphaned agents of the last killed worker are swept when it restarts; let their last requests land.
  await sleep(3_000);
  const loadAfter = execSync('uptime').toString().trim();

  const rows = (await listRuns<RunRow>(fleet.base)).filter((r) => runNumber.has(r.id));
  const executions = executionsByRun(fleet.model.requests);
  const killedWorker = (workerId: string, from: number, to: number) =>
    faults.some((f) => f.kind === 'worker killed' && f.worker?.id === workerId && f.at >= from - 1_000 && f.at <= to + 1_000);
  const attemptsOf = new Map<string, Attempt[]>();
  for (let i = 0; i < rows.length; i += 8) {
    await Promise.all(rows.slice(i, i + 8).map(async (r) => attemptsOf.set(r.id, await api<Attempt[]>(fleet.base, `/runs/${r.id}/attempts`))));
  }

  const completed = rows.filter((r) => r.status === 'completed');
  const ended = rows.filter((r) => FINAL.has(r.status));
  const lost = ended.filter((r) => r.status !== 'completed');
  const stuck = rows.filter((r) => !FINAL.has(r.status));
  const missing = RUNS - rows.length;
  const twice: string[] = [];
  const completedUnseen: string[] = [];
  let requeuedForLoss = 0;
  const lostWhileAlive: string[] = [];
  const executionCounts = new Map<number, number>();
  for (const run of rows) {
    const n = runNumber.get(run.id)!;
    const ran = executions.get(n) ?? 0;
    executionCounts.set(ran, (executionCounts.get(ran) ?? 0) + 1);
    const attempts = attemptsOf.get(run.id) ?? [];
    const lostAttempts = attempts.filter((a) => a.outcome === 'worker_lost');
    requeuedForLoss += lostAttempts.length;
    for (const a of lostAttempts) {
      if (!killedWorker(a.worker_id, Date.parse(a.claimed_at), Date.parse(a.ended_at ?? new Date().toISOString()))) {
        lostWhileAlive.push(`${run.id} (run ${n}) attempt ${a.attempt} on ${workerName(fleet, a.worker_id)} ${a.worker_id}: claimed ${a.claimed_at}, started ${a.started_at}, ended ${a.ended_at}`);
      }
    }
    // Each execution must belong to an attempt: the last one, or one taken back because its worker was lost.
    if (ran > lostAttempts.length + 1) {
      twice.push(`${run.id} (run ${n}): ${ran} executions, attempts ${attempts.map((a) => `${a.attempt}:${a.worker_id.slice(0, 8)}:${a.outcome}`).join(', ')}`);
    }
    if (run.status === 'completed' && ran === 0) completedUnseen.push(`${run.id} (run ${n})`);
  }
  const lastCompleted = Math.max(...completed.map((r) => Date.parse(r.completed_at ?? r.created_at)));
  const byKind = (kind: Fault['kind']) => faults.filter((f) => f.kind === kind).length;
  const controlDowns = faults.filter((f) => f.kind === 'control killed' && f.back).map((f) => (f.back! - f.at) / 1000);

  console.log(`\nChaos — ${machine()}`);
  console.log(`load before: ${load}`);
  console.log(`load after:  ${loadAfter}`);
  console.log(`${RUNS} runs of the real goose against the scripted model, ${WORKERS} workers × concurrency ${CONCURRENCY}, lease ${'60'} s (default)`);
  console.log(
    `faults: ${byKind('worker killed')} workers killed (SIGKILL, every ${KILL_EVERY_MS / 1000} s) and restarted, ${byKind('control frozen')} control-plane freezes of ${FREEZE_MS / 1000} s, ` +
      `${byKind('control killed')} control-plane kills (down ${controlDowns.map((s) => s.toFixed(1)).join(', ') || '–'} s each, restart included)`,
  );
  console.log(`runs completed:                 ${completed.length} / ${RUNS}`);
  console.log(`runs lost (ended, not completed): ${lost.length}${lost.length ? ` — ${lost.map((r) => `${r.id} ${r.status} ${r.failure_reason}`).join('; ')}` : ''}`);
  console.log(`runs missing from the list:     ${missing}`);
  console.log(`runs stuck (not ended):         ${stuck.length}${stuck.length ? ` — ${stuck.map((r) => `${r.id} ${r.status} attempt ${r.attempt}`).join('; ')}` : ''}`);
  console.log(`runs executed more than once outside a requeue for a lost worker: ${twice.length}`);
  for (const line of twice) console.log(`  ${line}`);
  console.log(`runs completed without a goose execution seen: ${completedUnseen.length}${completedUnseen.length ? ` — ${completedUnseen.join('; ')}` : ''}`);
  console.log(`goose executions per run: ${[...executionCounts].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}×: ${v} runs`).join(', ')}`);
  console.log(`attempts requeued as worker_lost: ${requeuedForLoss} (of them ${lostWhileAlive.length} while their worker had not been killed)`);
  for (const line of lostWhileAlive.slice(0, 20)) console.log(`  ${line}`);
  const slowest = [...completed].sort((a, b) => latency(b) - latency(a)).slice(0, 5);
  console.log('slowest runs (created → completed), with their attempts:');
  for (const r of slowest) {
    const attempts = (attemptsOf.get(r.id) ?? []).map((a) => `${a.attempt} ${workerName(fleet, a.worker_id)} ${a.claimed_at.slice(11, 19)}–${a.ended_at?.slice(11, 19) ?? '…'} ${a.outcome}`);
    console.log(`  ${r.id} (run ${runNumber.get(r.id)}): ${(latency(r) / 1000).toFixed(1)} s; ${attempts.join('; ')}`);
  }
  console.log(`time to drain: ${drainedAt ? `${((drainedAt - started) / 1000).toFixed(1)} s from queueing the first run to every run ended` : 'not drained before the deadline'}` +
    (drainedAt ? `; last completion at ${((lastCompleted - started) / 1000).toFixed(1)} s` : ''));
  console.log(`throughput under chaos: ${drainedAt ? (completed.length / ((drainedAt - started) / 1000)).toFixed(2) : '–'} runs/s`);
  if (lost.length || stuck.length || twice.length || missing) failed = true;
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await fleet.stop();
}
process.exit(failed ? 1 : 0);
