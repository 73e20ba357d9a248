import { readFileSync } from 'node:fs';
import path from 'node:path';
import { artifactRel } from './filestore.ts';
import { LocalFileTracker, joinArtifactPath, walkDir, type LocalRun } from './local-tracker.ts';
import { MlflowApiError, type MlflowClientOptions } from './http.ts';
import type { BatchInput } from './wire.ts';
import { MlflowRestTracker, type RestRun } from './rest-tracker.ts';
import {
  RUN_TAGS, type DatasetInput, type EndStatus, type FlushResult, type MetricInput, type ParamValue, type StartRunOptions, type Tracker, type TrackerRun,
} from './types.ts';

export interface FallbackOptions {
  /** The server to log to (a tracker, or client options; default: the environment's MLFLOW_TRACKING_URI). */
  remote?: MlflowRestTracker | MlflowClientOptions;
  /** Local store every run is journaled to (default ./mlruns). */
  localDir?: string;
  /** Told once per tracker when the server is lost (default console.warn). */
  warn?: (message: string) => void;
  /**
   * Aborting it (Ctrl-C) cancels the server requests in flight, drops what is queued and marks the
   * open runs KILLED in the journal at once; pushRuns delivers the rest later.
   */
  signal?: AbortSignal;
  /**
   * Send server calls from a background queue: each call returns as soon as it is journaled, so a
   * slow server never holds training back. Off: each call waits for the server (as before).
   * Default false here; `createTracker` turns it on.
   */
  background?: boolean;
  /** Most server calls waiting in the queue; beyond it the server copy is given up (the journal has everything). Default 10 000. */
  queueLimit?: number;
  /** How long the last `endRun` (no run left open) and `flush()` wait for the queue. Default 10 s. */
  drainMs?: number;
  /** MLflow context tags on each run (see LocalFileTracker). */
  context?: boolean | Record<string, string>;
  /** How a user delivers the journal later, for the warning (an application names its own command; default: pushRuns). */
  pushHint?: (store: string, server: string) => string;
}

type Op =
  | { kind: 'start'; run: FallbackRun; opts: StartRunOptions; parent?: FallbackRun }
  | { kind: 'batch'; run: FallbackRun; batch: BatchInput }
  | { kind: 'artifacts'; run: FallbackRun; files: { file: string; rel: string }[] }
  | { kind: 'inputs'; run: FallbackRun; datasets: DatasetInput[] }
  | { kind: 'end'; run: FallbackRun; status: EndStatus; endTime: number };

/**
 * Journals every call to the local store and mirrors it to the server. When the server cannot be
 * reached (network error, or 429/5xx after the client's retries), is too slow (queue full, drain
 * deadline) or the signal aborts, it warns once and carries on locally only; `pushRuns` later
 * completes the server copy (the mirrored server run carries `emofuse.source_run_id` = the local
 * run id, so push tops it up instead of duplicating it).
 *
 * With `background`, server calls run one at a time from a bounded queue (consecutive metric/param/
 * tag calls of a run merge into one log-batch); run ids are then the journal's ids.
 */
export class FallbackTracker implements Tracker {
  readonly remote: MlflowRestTracker;
  readonly local: LocalFileTracker;
  readonly background: boolean;
  readonly queueLimit: number;
  readonly drainMs: number;
  private warnFn: (message: string) => void;
  private remoteLost = false;
  private runs = new Map<string, FallbackRun>();
  private open = new Set<FallbackRun>();
  private queue: Op[] = [];
  private worker: Promise<void> | undefined;
  private inFlight = 0;
  private undelivered = 0;
  private cancel = new AbortController();
  private readonly pushHint: (store: string, server: string) => string;

  constructor(opts: FallbackOptions = {}) {
    // Its own client, so giving the server up here cancels only this tracker's requests.
    const given = opts.remote instanceof MlflowRestTracker ? opts.remote : new MlflowRestTracker(opts.remote, { context: opts.context });
    this.remote = new MlflowRestTracker(given.client.withSignal(this.cancel.signal), { context: given.context });
    this.local = new LocalFileTracker(opts.localDir ?? 'mlruns', { context: opts.context });
    this.warnFn = opts.warn ?? ((m) => console.warn(m));
    this.background = opts.background ?? false;
    this.queueLimit = opts.queueLimit ?? 10_000;
    this.drainMs = opts.drainMs ?? 10_000;
    this.pushHint = opts.pushHint ?? ((store, server) => `pushRuns({ from: ${JSON.stringify(store)}, to: ${JSON.stringify(server)} }) of @emofuse/tracking`);
    const signal = opts.signal;
    if (signal) {
      if (signal.aborted) this.interrupt();
      else signal.addEventListener('abort', () => this.interrupt(), { once: true });
    }
  }

  get location(): string {
    return this.remoteLost ? this.local.location : this.remote.location;
  }

  /** True once the server has been given up for this tracker. */
  get offline(): boolean {
    return this.remoteLost;
  }

  /** Server calls queued or in flight. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** What delivers the journal later (printed in the warning): the application's hint, or pushRuns. */
  pushCommand(): string {
    return this.pushHint(this.local.store.root, this.remote.location);
  }

  /** Stop using the server for this tracker: warn once, cancel requests in flight, drop the queue. */
  giveUp(reason: string, interrupted = false): void {
    if (!this.remoteLost) {
      this.remoteLost = true;
      this.warnFn(
        `MLflow server ${this.remote.location} ${reason}; ` +
          (interrupted ? `the server copy may be incomplete, the runs are complete in ${this.local.location}. ` : `training continues and runs are kept in ${this.local.location}. `) +
          `Deliver them later with: ${this.pushCommand()}`,
      );
    }
    this.undelivered += this.queue.length;
    this.queue = [];
    this.cancel.abort();
  }

  /** Ctrl-C: give the server up and mark every open run KILLED in the journal now (callers may end them again). */
  private interrupt(): void {
    this.giveUp('left behind: interrupted', true);
    const now = Date.now();
    for (const run of this.open) run.localRun.store.updateRun(run.localRun.meta, 'KILLED', now);
  }

  /** Run a server call; on an availability failure switch to local-only (warning once) and return undefined. */
  async guard<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.remoteLost) return undefined;
    try {
      return await fn();
    } catch (e) {
      if (e instanceof MlflowApiError && e.unavailable) {
        this.giveUp(e.aborted ? `left behind during ${what} (cancelled)` : `unavailable during ${what} (${e.message})`);
        return undefined;
      }
      throw e;
    }
  }

  /** Mirror one call: at once (and awaited) without `background`, else through the queue. */
  async send(op: Op): Promise<void> {
    if (this.remoteLost) {
      this.undelivered++;
      return;
    }
    if (!this.background) {
      await this.exec(op);
      return;
    }
    if (this.queue.length >= this.queueLimit) {
      this.undelivered++;
      this.giveUp(`fell ${this.queue.length} calls behind`);
      return;
    }
    this.queue.push(op);
    this.worker ??= this.work();
  }

  private async work(): Promise<void> {
    try {
      while (this.queue.length && !this.remoteLost) {
        const op = this.takeNext();
        this.inFlight = 1;
        try {
          await this.exec(op);
        } catch (e) {
          // Nobody awaits a queued call: a refusal (not an outage) ends mirroring of that run only.
          op.run.remoteBroken = true;
          this.undelivered++;
          this.warnFn(`MLflow server ${this.remote.location} refused ${op.kind} of run ${op.run.localRunId} (${(e as Error).message}); the run is complete in ${this.local.location}`);
        } finally {
          this.inFlight = 0;
        }
      }
    } finally {
      this.worker = undefined;
    }
  }

  /** The next op; a run's queued batches up to its next other call go out as one log-batch. */
  private takeNext(): Op {
    const op = this.queue.shift()!;
    if (op.kind !== 'batch') return op;
    const params = new Map((op.batch.params ?? []).map((p) => [p.key, p]));
    const tags = new Map((op.batch.tags ?? []).map((t) => [t.key, t]));
    const metrics = [...(op.batch.metrics ?? [])];
    for (let i = 0; i < this.queue.length; ) {
      const next = this.queue[i];
      if (next.run !== op.run) {
        i++;
        continue;
      }
      if (next.kind !== 'batch') break;
      for (const p of next.batch.params ?? []) if (!params.has(p.key)) params.set(p.key, p);
      for (const t of next.batch.tags ?? []) tags.set(t.key, t);
      metrics.push(...(next.batch.metrics ?? []));
      this.queue.splice(i, 1);
    }
    return { kind: 'batch', run: op.run, batch: { params: [...params.values()], tags: [...tags.values()], metrics } };
  }

  private async exec(op: Op): Promise<void> {
    const run = op.run;
    if (op.kind === 'start') {
      // A child of a run that exists only locally stays local; push nests it correctly later.
      if (op.parent && !op.parent.remote) return;
      const meta = run.localRun.meta;
      run.remote = (await this.guard('startRun', () =>
        this.remote.startRun({
          ...op.opts,
          // same name and start time as the journal copy, so a later push finds nothing to change
          runName: meta.runName,
          startTime: meta.startTime,
          parentRunId: op.parent ? op.parent.remote!.runId : op.opts.parentRunId,
          tags: { ...(op.opts.tags ?? {}), [RUN_TAGS.sourceRunId]: run.localRunId },
        }),
      )) as RestRun | undefined;
      if (run.remote) this.runs.set(run.remote.runId, run);
      return;
    }
    const remote = run.remote;
    if (!remote || run.remoteBroken) return;
    const client = this.remote.client;
    switch (op.kind) {
      case 'batch':
        await this.guard('logBatch', () => client.logBatch(remote.runId, op.batch));
        return;
      case 'artifacts':
        for (const f of op.files) {
          if (this.remoteLost) return;
          await this.guard('logArtifact', () => client.uploadArtifact(remote.artifactUri, f.rel, readFileSync(f.file)));
        }
        return;
      case 'inputs':
        await this.guard('logInputs', () => client.logInputs(remote.runId, op.datasets));
        return;
      case 'end':
        await this.guard('endRun', () => client.updateRun(remote.runId, { status: op.status, endTime: op.endTime }));
        return;
    }
  }

  /**
   * Wait until the queue is delivered, at most `deadlineMs` (default `drainMs`); then give the
   * server up: requests in flight are cancelled and the rest stays in the journal for `runs push`.
   */
  async flush(deadlineMs = this.drainMs): Promise<FlushResult> {
    if (this.worker) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.worker.then(() => false),
        new Promise<boolean>((r) => { timer = setTimeout(() => r(true), Math.max(0, deadlineMs)); }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        const n = this.pending;
        this.giveUp(`left behind: ${n} call(s) not delivered within ${(deadlineMs / 1000).toFixed(1)} s`);
        this.undelivered += this.inFlight;
        await this.worker;
      }
    }
    return { complete: !this.remoteLost && this.undelivered === 0, pending: this.undelivered };
  }

  async startRun(opts: StartRunOptions): Promise<TrackerRun> {
    const parent = opts.parentRunId ? this.runs.get(opts.parentRunId) : undefined;
    const localRun = (await this.local.startRun({ ...opts, parentRunId: parent ? parent.localRunId : opts.parentRunId })) as LocalRun;
    const run = new FallbackRun(this, localRun);
    this.runs.set(localRun.runId, run);
    this.open.add(run);
    await this.send({ kind: 'start', run, opts, parent });
    return run;
  }

  /** After a run ends: when none is left open, wait (bounded) for the queue. */
  async ended(run: FallbackRun): Promise<void> {
    this.open.delete(run);
    if (this.background && this.open.size === 0) await this.flush();
  }
}

class FallbackRun implements TrackerRun {
  remote: RestRun | undefined;
  /** The server refused a call for this run (not an outage): stop mirroring it. */
  remoteBroken = false;
  constructor(private owner: FallbackTracker, readonly localRun: LocalRun) {}
  /** The journal's id with a background queue; else the server's run id while the server took the run's start. */
  get runId() {
    return (!this.owner.background && this.remote?.runId) || this.localRun.runId;
  }
  get experimentId() {
    return (!this.owner.background && this.remote?.experimentId) || this.localRun.experimentId;
  }
  get localRunId() {
    return this.localRun.runId;
  }
  /** The server's id for this run, once the server has created it. */
  get remoteRunId() {
    return this.remote?.runId;
  }
  private batch(batch: BatchInput) {
    return this.owner.send({ kind: 'batch', run: this, batch });
  }
  async logParams(params: Record<string, ParamValue>) {
    await this.localRun.logParams(params);
    await this.batch({ params: Object.entries(params).map(([key, value]) => ({ key, value: String(value) })) });
  }
  logMetric(key: string, value: number, step?: number, timestamp?: number) {
    return this.logMetrics([{ key, value, step, timestamp }]);
  }
  async logMetrics(batch: MetricInput[]) {
    // One timestamp for both copies, so push recognises the point as already there.
    const now = Date.now();
    const stamped = batch.map((m) => ({ key: m.key, value: m.value, step: m.step ?? 0, timestamp: m.timestamp ?? now }));
    await this.localRun.logMetrics(stamped);
    await this.batch({ metrics: stamped });
  }
  async setTags(tags: Record<string, string>) {
    await this.localRun.setTags(tags);
    await this.batch({ tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
  }
  /** Uploads go from the journal's copy, which stays put (the caller's folder may be renamed or removed meanwhile). */
  private journaled(rels: string[]) {
    const dir = this.localRun.store.artifactDir(this.localRun.meta);
    return rels.map((rel) => ({ rel, file: path.join(dir, ...rel.split('/')) }));
  }
  async logArtifact(localPath: string, artifactPath?: string) {
    await this.localRun.logArtifact(localPath, artifactPath);
    await this.owner.send({ kind: 'artifacts', run: this, files: this.journaled([artifactRel(artifactPath, path.basename(localPath))]) });
  }
  async logArtifactDir(localDir: string, artifactPath?: string) {
    const rels = walkDir(localDir).map((rel) => artifactRel(joinArtifactPath(artifactPath, rel), path.posix.basename(rel)));
    await this.localRun.logArtifactDir(localDir, artifactPath);
    await this.owner.send({ kind: 'artifacts', run: this, files: this.journaled(rels) });
  }
  async logInputs(datasets: DatasetInput[]) {
    await this.localRun.logInputs(datasets);
    await this.owner.send({ kind: 'inputs', run: this, datasets });
  }
  async endRun(status: EndStatus = 'FINISHED', endTime = Date.now()) {
    await this.localRun.endRun(status, endTime);
    await this.owner.send({ kind: 'end', run: this, status, endTime });
    await this.owner.ended(this);
  }
}
