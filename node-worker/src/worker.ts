// The worker's life: register, then claim (long-poll) while it has free slots, keep leases alive
// with heartbeats, listen for cancels, and drain on the first signal. No loop ever dies: every
// failure is logged and retried with jittered backoff.
import type { ClaimedRun } from '../../control/src/contract/worker.ts';
import type { ControlPlaneClient } from './client.ts';
import type { WorkerConfig } from './config.ts';

export type StopReason = 'cancelled' | 'lease_lost' | 'shutdown';

/** Runs one claimed run to its end (start, logs, complete); `stop` fires when it must end early. */
export type ExecuteRun = (run: ClaimedRun, stop: AbortSignal) => Promise<void>;

export interface WorkerLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

interface ActiveRun {
  leaseToken: string;
  stop: AbortController;
  done: Promise<void>;
}

const CLAIM_WAIT_SECONDS = 30;

export class Worker {
  private id: string | null = null;
  private heartbeatMs = 15_000;
  private heartbeatNudge = new AbortController();
  private readonly active = new Map<string, ActiveRun>();
  private draining = false;
  private readonly shutdown = new AbortController();
  /** Aborted once draining has finished every run: ends the heartbeat and signal loops. */
  private readonly stopped = new AbortController();
  private slotFreed: (() => void) | null = null;
  private loops: Promise<void>[] = [];
  private readonly config: WorkerConfig;
  private readonly client: ControlPlaneClient;
  private readonly execute: ExecuteRun;
  private readonly log: WorkerLog;

  constructor(config: WorkerConfig, client: ControlPlaneClient, execute: ExecuteRun, log: WorkerLog) {
    this.config = config;
    this.client = client;
    this.execute = execute;
    this.log = log;
  }

  get workerId(): string | null {
    return this.id;
  }

  get runningRuns(): string[] {
    return [...this.active.keys()];
  }

  start(): void {
    this.loops = [this.claimLoop(), this.heartbeatLoop(), this.signalLoop()];
  }

  /** Stops claiming, lets running runs finish, leaves the fleet, then resolves. */
  async drain(): Promise<void> {
    this.draining = true;
    // Said at once rather than at the next heartbeat, so the fleet shows the worker draining.
    this.nudgeHeartbeat();
    this.shutdown.abort();
    this.wakeClaimLoop();
    await Promise.all([...this.active.values()].map((r) => r.done));
    this.stopped.abort();
    await Promise.all(this.loops);
    if (!this.id) return;
    // Best effort: a worker that cannot say goodbye is marked offline once it has been silent a while.
    const left = await this.client.deregister(this.id);
    if (!left.ok) this.log.warn('could not deregister; the control plane will mark this worker offline', { status: left.status, error: left.error });
  }

  /** Cancels every running run (second signal) and waits for them to report. */
  async cancelAll(): Promise<void> {
    for (const run of this.active.values()) run.stop.abort('shutdown');
    await this.drain();
  }

  private async register(): Promise<void> {
    for (let failures = 0; !this.draining; failures++) {
      const res = await this.client.register({ name: this.config.workerName, labels: this.config.labels, concurrency: this.config.concurrency });
      if (res.ok) {
        this.id = res.data.id;
        this.setHeartbeatInterval(res.data.heartbeat_interval_seconds);
        this.log.info('registered', { worker_id: this.id, name: this.config.workerName, labels: this.config.labels });
        return;
      }
      this.log.warn('register failed; retrying', { status: res.status, error: res.error });
      await this.pause(backoff(failures));
    }
  }

  private async claimLoop(): Promise<void> {
    let failures = 0;
    while (!this.draining) {
      if (!this.id) await this.register();
      if (this.draining || !this.id) break;
      const free = this.config.concurrency - this.active.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      const res = await this.client.claim(this.id, free, CLAIM_WAIT_SECONDS, this.shutdown.signal);
      if (res.ok) {
        failures = 0;
        this.setHeartbeatInterval(res.data.heartbeat_interval_seconds);
        for (const run of res.data.runs) this.begin(run);
        continue;
      }
      if (res.code === 'aborted') break;
      if (res.code === 'worker_unknown') {
        this.log.warn('control plane forgot this worker; registering again');
        this.id = null;
        continue;
      }
      failures++;
      this.log.warn('claim failed; backing off', { status: res.status, error: res.error });
      await this.pause(backoff(failures));
    }
  }

  private begin(run: ClaimedRun): void {
    const stop = new AbortController();
    const done = this.execute(run, stop.signal)
      .catch((err: unknown) => this.log.warn('run crashed', { run_id: run.run_id, error: err instanceof Error ? err.message : String(err) }))
      .finally(() => {
        this.active.delete(run.run_id);
        this.wakeClaimLoop();
      });
    this.active.set(run.run_id, { leaseToken: run.lease_token, stop, done });
    this.log.info('claimed run', { run_id: run.run_id, attempt: run.attempt });
  }

  private wakeClaimLoop(): void {
    const wake = this.slotFreed;
    this.slotFreed = null;
    wake?.();
  }

  // The lease length may change while the worker runs; claims and heartbeats carry the interval that
  // fits it, and a shorter one cuts the current wait short so no lease runs out in the meantime.
  private setHeartbeatInterval(seconds: number): void {
    const ms = seconds * 1000;
    const shorter = ms < this.heartbeatMs;
    this.heartbeatMs = ms;
    if (shorter) this.nudgeHeartbeat();
  }

  private nudgeHeartbeat(): void {
    this.heartbeatNudge.abort();
    this.heartbeatNudge = new AbortController();
  }

  private async heartbeatLoop(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      await sleep(this.heartbeatMs, AbortSignal.any([this.stopped.signal, this.heartbeatNudge.signal]));
      if (!this.id || this.active.size === 0) continue;
      const held = [...this.active].map(([run_id, r]) => ({ run_id, lease_token: r.leaseToken }));
      const res = await this.client.heartbeat(this.id, held, this.draining);
      if (!res.ok) {
        if (res.code === 'worker_unknown') this.id = null;
        this.log.warn('heartbeat failed', { status: res.status, error: res.error });
        continue;
      }
      this.setHeartbeatInterval(res.data.heartbeat_interval_seconds);
      for (const runId of res.data.lost) this.active.get(runId)?.stop.abort('lease_lost');
      for (const runId of res.data.cancel) this.active.get(runId)?.stop.abort('cancelled');
    }
  }

  // While runs are held, one parked request listens for cancels so they arrive within a second.
  private async signalLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped.signal.aborted) {
      if (!this.id || this.active.size === 0) {
        await sleep(200, this.stopped.signal);
        continue;
      }
      const res = await this.client.signals(this.id, CLAIM_WAIT_SECONDS, this.stopped.signal);
      if (!res.ok) {
        failures++;
        await sleep(backoff(failures), this.stopped.signal);
        continue;
      }
      failures = 0;
      for (const runId of res.data.cancel) this.active.get(runId)?.stop.abort('cancelled');
    }
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, this.shutdown.signal);
  }
}

/** Exponential backoff with full jitter, 0.5 s to 30 s. */
export function backoff(failures: number): number {
  const cap = Math.min(30_000, 500 * 2 ** Math.min(failures, 8));
  return cap / 2 + Math.random() * (cap / 2);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
