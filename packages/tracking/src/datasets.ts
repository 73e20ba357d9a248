import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LIMITS } from './validate.ts';
import type { DatasetInput } from './types.ts';

/**
 * A corpus as an MLflow dataset input: `digest` is the content fingerprint (cut to MLflow's 36
 * characters), the source a file:// URI (or any URI given), the profile row, class and split counts.
 */
export function corpusDataset(c: {
  name: string;
  fingerprint: string;
  /** Folder or file the corpus was read from, or a URI. */
  source: string;
  rows: number;
  classes?: string[];
  /** Utterances per part, e.g. { train: 3548, valid: 394, test: 1589 }. */
  splits?: Record<string, number>;
  /** Columns as MLflow's colspec schema (name, type). */
  columns?: { name: string; type: string }[];
  context?: string;
}): DatasetInput {
  const uri = /^[a-z][a-z0-9+.-]*:/i.test(c.source) ? c.source : pathToFileURL(path.resolve(c.source)).href;
  return {
    name: c.name,
    digest: c.fingerprint.slice(0, LIMITS.datasetDigest),
    sourceType: uri.startsWith('file:') ? 'local' : (uri.split(':')[0] ?? 'unknown'),
    source: { uri },
    ...(c.columns ? { schema: { mlflow_colspec: c.columns } } : {}),
    profile: { num_rows: c.rows, ...(c.classes ? { classes: c.classes } : {}), ...(c.splits ? { splits: c.splits } : {}) },
    context: c.context ?? 'train',
  };
}
