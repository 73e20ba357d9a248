// Do two commits compute the same numbers? Compares one seed of an experiment across two run
// stores (say the seed as RESULTS.md has it, and the same seed rerun at today's commit): every
// system's test and validation metrics, to the last digit. For a GENERATED block of RESULTS.md
// whose experiments ran at several commits.
// Usage: node --import tsx scripts/same-numbers.ts <experiment> <store-a> <store-b> [--seed 1]
// Exits 0 when every metric is identical, 1 when one differs, 2 on bad usage or a missing run.
import path from 'node:path';
import type { RunRecord } from '@emofuse/core';
import { RUN_TAGS, listRuns } from '@emofuse/tracking';

const args = process.argv.slice(2);
const at = args.indexOf('--seed');
const seed = at >= 0 ? args.splice(at, 2)[1] : '1';
const [experiment, storeA, storeB] = args;
if (!experiment || !storeA || !storeB) {
  process.stderr.write('usage: node --import tsx scripts/same-numbers.ts <experiment> <store-a> <store-b> [--seed 1]\n');
  process.exit(2);
}

/** The latest finished run of each system at this seed, with the commit it ran at. */
async function systemsAt(store: string): Promise<Map<string, RunRecord>> {
  const runs = await listRuns({ store: path.resolve(store) }, { experiment });
  const out = new Map<string, RunRecord>();
  for (const r of runs.filter((x) => x.status === 'FINISHED' && x.tags[RUN_TAGS.system] && x.tags[RUN_TAGS.seed] === seed).sort((a, b) => a.startTime - b.startTime)) {
    out.set(r.tags[RUN_TAGS.system], r);
  }
  if (!out.size) {
    process.stderr.write(`error: ${store}: no finished run of ${experiment} at seed ${seed}\n`);
    process.exit(2);
  }
  return out;
}

const [a, b] = [await systemsAt(storeA), await systemsAt(storeB)];
const commit = (r: RunRecord) => (r.tags['mlflow.source.git.commit'] ?? r.params['meta.git_commit'] ?? '?').slice(0, 12);
let differ = 0;
for (const system of [...new Set([...a.keys(), ...b.keys()])].sort()) {
  const [ra, rb] = [a.get(system), b.get(system)];
  if (!ra || !rb) {
    differ++;
    console.log(`${system}: only in ${ra ? storeA : storeB}`);
    continue;
  }
  // A metric logged at one commit only (per-class scores were added later) cannot be compared: counted apart.
  const scored = (r: RunRecord) => Object.keys(r.metrics).filter((k) => /^(test|valid)_/.test(k));
  const keys = scored(ra).filter((k) => k in rb.metrics).sort();
  const oneSided = new Set([...scored(ra), ...scored(rb)]).size - keys.length;
  const diffs = keys.filter((k) => ra.metrics[k] !== rb.metrics[k]);
  if (!keys.length) differ++;
  differ += diffs.length;
  const also = oneSided ? `; ${oneSided} logged at one commit only, not compared` : '';
  console.log(`${system} seed ${seed}: ${commit(ra)} vs ${commit(rb)}: ${diffs.length ? `${diffs.length} of ${keys.length} metrics differ: ${diffs.slice(0, 4).map((k) => `${k} ${ra.metrics[k]} vs ${rb.metrics[k]}`).join(', ')}` : `all ${keys.length} test and validation metrics both logged are identical (test UA ${(100 * rb.metrics.test_ua).toFixed(4)})`}${also}`);
}
process.exit(differ ? 1 : 0);
