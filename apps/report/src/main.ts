import { EmofuseError, type RunRecord } from '@emofuse/core';
import { listArtifacts, listRuns, readArtifact, type RunFilter, type RunSource } from '@emofuse/tracking';
import { fromRunRecords, readLocalArtifact, type ReadArtifact } from './adapter.ts';
import { buildReport, type BuildReportOptions, type ReportPaths } from './build.ts';

export type ReportFromStoreOptions = Omit<BuildReportOptions, 'input'> & {
  /** The local store (`{ store: 'mlruns' }`) or a tracking server (`{ uri }`), as packages/tracking reads them. */
  from: RunSource;
  experiment?: string | string[];
  /** key=value tags every run must carry. */
  tags?: Record<string, string>;
  runIds?: string[];
  /** Report RUNNING/FAILED runs too (default: FINISHED only). */
  includeUnfinished?: boolean;
  /** Where the runs were tracked, for the report's footer, when that is not `from` (a server whose local copy is read). */
  sourceLabel?: string;
};

/** For messages: the store folder or the server URL. */
export function describeSource(from: RunSource): string {
  if ('store' in from) return from.store;
  if ('uri' in from) return from.uri;
  return 'the tracking server';
}

/**
 * Artifacts through packages/tracking: read local-store runs from disk, server runs through the
 * server's artifact proxy. A missing artifact is null (it is optional), any other failure throws.
 */
export function trackingArtifactReader(from: RunSource): ReadArtifact {
  const listed = new Map<string, Promise<Set<string>>>();
  return async (run: RunRecord, relPath: string) => {
    if (run.localArtifactDir) return readLocalArtifact(run, relPath);
    let files = listed.get(run.runId);
    if (!files) {
      files = listArtifacts(from, run.runId).then((a) => new Set(a));
      listed.set(run.runId, files);
    }
    if (!(await files).has(relPath)) return null;
    return readArtifact(from, run.runId, relPath);
  };
}

function describeFilter(f: RunFilter): string {
  const exps = f.experiment === undefined ? [] : Array.isArray(f.experiment) ? f.experiment : [f.experiment];
  const parts = [
    exps.length ? `experiment ${exps.join(',')}` : '',
    f.tags && Object.keys(f.tags).length ? `tags ${Object.entries(f.tags).map(([k, v]) => `${k}=${v}`).join(',')}` : '',
    f.runIds?.length ? `run ids ${f.runIds.join(',')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no filter';
}

/**
 * The CLI's `report` command: read runs back through packages/tracking, keep those that match,
 * and build the report directory. Errors name the store and the filter that matched nothing.
 */
export async function reportFromStore(opts: ReportFromStoreOptions): Promise<ReportPaths> {
  const { from, experiment, tags, runIds, includeUnfinished, sourceLabel, ...build } = opts;
  const filter: RunFilter = { experiment, tags, runIds };
  const where = describeSource(from);
  let records: RunRecord[];
  try {
    records = await listRuns(from, filter);
  } catch (e) {
    if (e instanceof EmofuseError) throw e;
    throw new EmofuseError(`cannot read runs: ${(e as Error).message}`, { where, fix: 'check the store path or the tracking URI', cause: e });
  }
  if (runIds?.length) {
    const missing = runIds.filter((id) => !records.some((r) => r.runId === id));
    if (missing.length) throw new EmofuseError(`run ${missing.join(', ')} not found (${describeFilter(filter)})`, { where, fix: 'list the runs in this store and copy their ids' });
  }
  if (records.length === 0) {
    throw new EmofuseError(`no runs match ${describeFilter(filter)}`, { where, fix: 'train first, or loosen the experiment/tag filter' });
  }
  const input = await fromRunRecords(records, trackingArtifactReader(from), { split: build.split, includeUnfinished, source: sourceLabel ?? where });
  if (input.runs.length === 0) {
    if (input.skipped?.length) throw new EmofuseError(`none of the ${records.length} matching runs can be reported: ${input.skipped.join(' ')}`, { where, fix: 'check the runs in the store or the MLflow UI' });
    throw new EmofuseError(`none of the ${records.length} matching runs has finished`, { where, fix: 'wait for the runs to end, or pass includeUnfinished' });
  }
  return buildReport({ ...build, input });
}
