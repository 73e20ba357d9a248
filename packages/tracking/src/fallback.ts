import { LocalFileTracker } from './local-tracker.ts';
import { MlflowApiError, type MlflowClientOptions } from './rest.ts';
import { MlflowRestTracker } from './rest-tracker.ts';
import { SOURCE_RUN_TAG, type EndStatus, type MetricInput, type ParamValue, type StartRunOptions, type Tracker, type TrackerRun } from './types.ts';

export interface FallbackOptions {
  /** The server to log to (a tracker, or client options; default: the environment's MLFLOW_TRACKING_URI). */
  remote?: MlflowRestTracker | MlflowClientOptions;
  /** Local store every run is journaled to (default ./mlruns). */
  localDir?: string;
  /** Told once per tracker when the server is lost (default console.warn). */
  warn?: (message: string) => void;
}

/**
 * Logs to the server and journals every call to the local store. When the server cannot be reached
 * (network error, or 429/5xx after the client's retries), it warns once and carries on locally only;
 * `pushRuns` later completes the server copy (the mirrored server run carries `emofuse.source_run_id`
 * = the local run id, so push tops it up instead of duplicating it).
 */
export class FallbackTracker implements Tracker {
  readonly remote: MlflowRestTracker;
  readonly local: LocalFileTracker;
  private warnFn: (message: string) => void;
  private remoteLost = false;
  private ids = new Map<string, { local: string; remote?: string }>();

  constructor(opts: FallbackOptions = {}) {
    this.remote = opts.remote instanceof MlflowRestTracker ? opts.remote : new MlflowRestTracker(opts.remote);
    this.local = new LocalFileTracker(opts.localDir ?? 'mlruns');
    this.warnFn = opts.warn ?? ((m) => console.warn(m));
  }

  get location(): string {
    return this.remoteLost ? this.local.location : this.remote.location;
  }

  /** True once the server has been given up for this tracker. */
  get offline(): boolean {
    return this.remoteLost;
  }

  /** Run a server call; on an availability failure switch to local-only (warning once) and return undefined. */
  async guard<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.remoteLost) return undefined;
    try {
      return await fn();
    } catch (e) {
      if (e instanceof MlflowApiError && e.unavailable) {
        this.remoteLost = true;
        this.warnFn(
          `MLflow server ${this.remote.location} unavailable during ${what} (${e.message}); ` +
            `training continues and runs are kept in ${this.local.location}. ` +
            `Deliver them later with: emofuse runs push --from ${this.local.store.root} --to ${this.remote.location}`,
        );
        return undefined;
      }
      throw e;
    }
  }

  async startRun(opts: StartRunOptions): Promise<TrackerRun> {
    const parent = opts.parentRunId ? this.ids.get(opts.parentRunId) : undefined;
    const localRun = await this.local.startRun({ ...opts, parentRunId: parent ? parent.local : opts.parentRunId });
    const localMeta = this.local.store.findRun(localRun.runId)?.run;
    let remoteRun: TrackerRun | undefined;
    // A child of a run that exists only locally stays local; push nests it correctly later.
    if (!parent || parent.remote) {
      remoteRun = await this.guard('startRun', () =>
        this.remote.startRun({
          ...opts,
          // same name and start time as the journal copy, so a later push finds nothing to change
          runName: localMeta?.runName ?? opts.runName,
          startTime: localMeta?.startTime ?? opts.startTime,
          parentRunId: parent ? parent.remote : opts.parentRunId,
          tags: { ...(opts.tags ?? {}), [SOURCE_RUN_TAG]: localRun.runId },
        }),
      );
    }
    const run = new FallbackRun(this, localRun, remoteRun);
    this.ids.set(run.runId, { local: localRun.runId, remote: remoteRun?.runId });
    if (remoteRun) this.ids.set(localRun.runId, { local: localRun.runId, remote: remoteRun.runId });
    return run;
  }
}

class FallbackRun implements TrackerRun {
  constructor(private owner: FallbackTracker, readonly localRun: TrackerRun, private remoteRun: TrackerRun | undefined) {}
  /** The server's run id while the server took the run's start, else the local one. */
  get runId() {
    return this.remoteRun?.runId ?? this.localRun.runId;
  }
  get experimentId() {
    return this.remoteRun?.experimentId ?? this.localRun.experimentId;
  }
  get localRunId() {
    return this.localRun.runId;
  }
  get remoteRunId() {
    return this.remoteRun?.runId;
  }
  private async both(what: string, f: (r: TrackerRun) => Promise<void>) {
    await f(this.localRun);
    const remote = this.remoteRun;
    if (remote) await this.owner.guard(what, () => f(remote));
  }
  logParams(params: Record<string, ParamValue>) {
    return this.both('logParams', (r) => r.logParams(params));
  }
  logMetric(key: string, value: number, step?: number, timestamp?: number) {
    // One timestamp for both copies, so push recognises the point as already there.
    const ts = timestamp ?? Date.now();
    return this.both('logMetric', (r) => r.logMetric(key, value, step, ts));
  }
  logMetrics(batch: MetricInput[]) {
    const now = Date.now();
    const stamped = batch.map((m) => ({ ...m, timestamp: m.timestamp ?? now }));
    return this.both('logMetrics', (r) => r.logMetrics(stamped));
  }
  setTags(tags: Record<string, string>) {
    return this.both('setTags', (r) => r.setTags(tags));
  }
  logArtifact(localPath: string, artifactPath?: string) {
    return this.both('logArtifact', (r) => r.logArtifact(localPath, artifactPath));
  }
  logArtifactDir(localDir: string, artifactPath?: string) {
    return this.both('logArtifactDir', (r) => r.logArtifactDir(localDir, artifactPath));
  }
  endRun(status: EndStatus = 'FINISHED', endTime = Date.now()) {
    return this.both('endRun', (r) => r.endRun(status, endTime));
  }
}
