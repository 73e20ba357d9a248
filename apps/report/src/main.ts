import { EmofuseError, type RunRecord } from '@emofuse/core';
import { fromRunRecords, readLocalArtifact, type ReadArtifact } from './adapter.ts';
import { buildReport, type BuildReportOptions, type ReportPaths } from './build.ts';

/** What the report needs from a tracking store; the CLI passes packages/tracking's reader. */
export interface RunSource {
  /** For messages: a store folder or a tracking URI. */
  location: string;
  listRuns(filter: RunFilter): Promise<RunRecord[]> | RunRecord[];
  /** Defaults to reading `localArtifactDir` (local store runs). */
  readArtifact?: ReadArtifact;
}

export interface RunFilter {
  experiment?: string;
  /** key=value tags every run must carry. */
  tags?: Record<string, string>;
  runIds?: string[];
}

export type ReportFromStoreOptions = RunFilter & Omit<BuildReportOptions, 'input'> & { source: RunSource; includeUnfinished?: boolean };

function describeFilter(f: RunFilter): string {
  const parts = [
    f.experiment ? `experiment ${f.experiment}` : '',
    f.tags && Object.keys(f.tags).length ? `tags ${Object.entries(f.tags).map(([k, v]) => `${k}=${v}`).join(',')}` : '',
    f.runIds?.length ? `run ids ${f.runIds.join(',')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no filter';
}

/**
 * The CLI's `report` command: read runs back, keep those that match the filter, build the report.
 * The filter is applied here as well, so a store that ignores part of it cannot widen the report.
 */
export async function reportFromStore(opts: ReportFromStoreOptions): Promise<ReportPaths> {
  const { source, experiment, tags, runIds, includeUnfinished, ...build } = opts;
  const filter: RunFilter = { experiment, tags, runIds };
  let records: RunRecord[];
  try {
    records = await source.listRuns(filter);
  } catch (e) {
    if (e instanceof EmofuseError) throw e;
    throw new EmofuseError(`cannot read runs: ${(e as Error).message}`, { where: source.location, fix: 'check the store path or the tracking URI', cause: e });
  }
  const picked = records.filter(
    (r) =>
      (!experiment || r.experimentName === experiment) &&
      (!runIds?.length || runIds.includes(r.runId)) &&
      Object.entries(tags ?? {}).every(([k, v]) => r.tags[k] === v),
  );
  if (runIds?.length) {
    const missing = runIds.filter((id) => !picked.some((r) => r.runId === id));
    if (missing.length) throw new EmofuseError(`run ${missing.join(', ')} not found (${describeFilter(filter)})`, { where: source.location, fix: 'list the runs in this store and copy their ids' });
  }
  if (picked.length === 0) {
    throw new EmofuseError(`no runs match ${describeFilter(filter)} (${records.length} runs read)`, { where: source.location, fix: 'train first, or loosen the experiment/tag filter' });
  }
  const input = await fromRunRecords(picked, source.readArtifact ?? readLocalArtifact, { split: build.split, includeUnfinished, source: source.location });
  if (input.runs.length === 0) {
    throw new EmofuseError(`none of the ${picked.length} matching runs is FINISHED`, { where: source.location, fix: 'wait for the runs to end, or report unfinished runs explicitly' });
  }
  return buildReport({ ...build, input });
}
