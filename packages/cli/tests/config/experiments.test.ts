import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, expandSweep, importPlugins, loadExperiment, loadSweep } from '../../src/config/index.ts';
import { repoRoot } from '../helpers.ts';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? yamlFiles(p) : n.endsWith('.yaml') ? [p] : [];
  });
}

const root = path.join(repoRoot, 'experiments');
const experiments = yamlFiles(root).filter((f) => !f.includes(`${path.sep}sweeps${path.sep}`));
const sweeps = yamlFiles(path.join(root, 'sweeps'));

// Data users bring themselves (not on these machines): only these may be missing. Feature files of
// experiments/feature-files/ are written by its make_examples.py into .cache/feature-files/.
const userData = ['IEMOCAP_features_raw.pkl', 'IEMOCAP_full_release', 'crawl-300d-2M.vec', `.cache${path.sep}feature-files${path.sep}`];

describe('shipped experiments', () => {
  it('include the paper\'s systems and fusion rules for IEMOCAP and the EmoDB set', () => {
    const names = experiments.map((f) => path.relative(root, f)).sort();
    for (const n of ['iemocap/text_lstm.yaml', 'iemocap/speech_cnn.yaml', 'iemocap/joint_cnn.yaml', 'iemocap/late_fusion_average.yaml',
      'iemocap/late_fusion_weighted.yaml', 'iemocap/late_fusion_product.yaml', 'emodb/speech_cnn.yaml', 'emodb/text_lstm_control.yaml', 'emodb/late_fusion_weighted.yaml']) {
      expect(names).toContain(n);
    }
    expect(names.filter((n) => n.startsWith('iemocap/ablations/')).length).toBeGreaterThanOrEqual(5);
  });

  it.each(experiments.map((f) => [path.relative(repoRoot, f), f]))('%s validates', async (rel, file) => {
    await importPlugins(file);
    const c = loadExperiment(file, { checkFiles: false });
    // The manifest example is a format demonstration (one seed); the corpus experiments report statistics.
    const example = rel.startsWith(`experiments${path.sep}manifest-example${path.sep}`);
    expect(c.seeds).toEqual(example ? [1] : [1, 2, 3, 4, 5]);
    expect(Object.keys(c.tags).length).toBeGreaterThan(0);
    // Experiments are named after their corpus, so runs of two corpora never mix.
    expect(c.experiment).toMatch(example ? /^manifest-example/ : /^(iemocap|emodb)-/);
    // With the file checks: either all inputs exist here, or only user-brought data is missing.
    try {
      loadExperiment(file);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      for (const issue of (e as ConfigError).issues) {
        expect(issue.message).toMatch(/^no such file: /);
        expect(userData.some((u) => issue.message.includes(u))).toBe(true);
      }
    }
  });

  it('have unique experiment names', async () => {
    for (const f of experiments) await importPlugins(f);
    const names = experiments.map((f) => loadExperiment(f, { checkFiles: false }).experiment);
    expect(new Set(names).size).toBe(names.length);
  });

  it('the runnable ones find their data beside the clone', () => {
    for (const rel of ['iemocap/text_lstm.yaml', 'emodb/speech_cnn.yaml', 'emodb/late_fusion_weighted.yaml']) {
      expect(() => loadExperiment(path.join(root, rel))).not.toThrow();
    }
  });

  it.each(sweeps.map((f) => [path.relative(repoRoot, f), f]))('sweep %s loads and every point validates', (_rel, file) => {
    const s = loadSweep(file);
    expect(s.split).toBe('valid');
    const points = expandSweep(s, { checkFiles: false });
    expect(points.length).toBe(Object.values(s.grid).reduce((n, v) => n * v.length, 1));
  });
});
