import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { DEFAULTS, allKeyPaths, configDefaults, loadExperiment, writeResolvedConfig } from '../../src/config/index.ts';
import { configError, repoRoot, sharedData, tempDir, writeFile } from '../helpers.ts';

const dir = tempDir();
const iemocapPkl = path.join(sharedData, 'iemocap/iemocap.pkl');

describe('loadExperiment', () => {
  it('fills every default when no file is given, with paths resolved against the repo root', () => {
    const c = loadExperiment(undefined);
    expect(c.model).toEqual(configDefaults().model);
    expect(c.train).toEqual(configDefaults().train);
    expect(c.corpus.path).toBe(path.resolve(repoRoot, '../shared/data/iemocap/iemocap.pkl'));
    expect(c.output.dir).toBe(path.join(repoRoot, 'runs'));
    expect(c.features.text.embeddings).toBe('wink'); // a name, not a path
    expect(c.features.speech.smileConfig).toBe('ComParE_2016');
  });

  it('keeps the paper\'s Table 1 values as defaults', () => {
    expect(configDefaults().model.text).toMatchObject({ convWidths: [3, 4, 5], convFilters: 64, dim: 100, lstmUnits: 128, dropout: 0.2 });
    expect(configDefaults().model.speech).toMatchObject({ filters: 128, kernel: 5, convLayers: 2 });
    expect(configDefaults().model.dense).toEqual([512, 128]);
    expect(configDefaults().train).toMatchObject({ learningRate: 0.001, patience: 6, epochs: 'auto' });
    expect(DEFAULTS.features.speech.select).toBe(100);
  });

  it('deep-merges a file onto the defaults: objects merge, lists replace', () => {
    const f = writeFile(dir, 'merge.yaml', [
      'experiment: merge-test',
      'seeds: [3, 4]',
      `corpus: { path: ${iemocapPkl} }`,
      'model:',
      '  text: { lstmUnits: 64 }',
      '  dense: [256]',
      'tags: { note: x }',
    ].join('\n'));
    const c = loadExperiment(f);
    expect(c.experiment).toBe('merge-test');
    expect(c.seeds).toEqual([3, 4]);
    expect(c.model.text.lstmUnits).toBe(64);
    expect(c.model.text.convFilters).toBe(64); // sibling default kept
    expect(c.model.dense).toEqual([256]); // list replaced, not merged
    expect(c.tags).toEqual({ note: 'x' });
  });

  it('names the experiment after the file when the file does not', () => {
    const f = writeFile(dir, 'my exp.yaml', `corpus: { path: ${iemocapPkl} }\n`);
    expect(loadExperiment(f).experiment).toBe('my-exp');
  });

  it('applies --set after the file (YAML values: numbers, lists, null) and --seed last', () => {
    const f = writeFile(dir, 'set.yaml', `corpus: { path: ${iemocapPkl} }\ntrain: { batchSize: 8 }\n`);
    const c = loadExperiment(f, { set: ['train.batchSize=16', 'seeds=[7, 8]', 'systems=[text-lstm]', 'tracking.uri=http://127.0.0.1:5000', 'tags.who=me'], seed: 42 });
    expect(c.train.batchSize).toBe(16);
    expect(c.seeds).toEqual([42]);
    expect(c.tracking.uri).toBe('http://127.0.0.1:5000'); // a URI stays as written
    expect(c.tags.who).toBe('me');
    expect(loadExperiment(f, { set: ['seeds=[7, 8]'] }).seeds).toEqual([7, 8]);
  });

  it('refuses an unknown key in a file with file, line, key path and a did-you-mean', () => {
    const f = writeFile(dir, 'typo.yaml', 'experiment: t\ntrain:\n  epoch: 5\n');
    const e = configError(() => loadExperiment(f));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({ key: 'train.epoch', message: 'unknown key', fix: 'did you mean `epochs`?' });
    expect(e.describe()).toContain('typo.yaml:3: train.epoch: unknown key');
    expect(e.describe()).toContain('did you mean `epochs`?');
  });

  it('points a key written at the wrong level to where it lives', () => {
    const e = configError(() => loadExperiment(undefined, { set: ['train.lstmUnits=64'] }));
    expect(e.issues[0].fix).toContain('`model.text.lstmUnits`');
    expect(e.issues[0].where).toBe('--set train.lstmUnits=64');
  });

  it('refuses an unknown --set key path before parsing anything else', () => {
    const e = configError(() => loadExperiment(undefined, { set: ['model.text.lstmUnit=64'] }));
    expect(e.describe()).toMatch(/--set model\.text\.lstmUnit=64: model\.text\.lstmUnit: unknown key\n\s+fix: did you mean `lstmUnits`\?/);
    expect(configError(() => loadExperiment(undefined, { set: ['noequals'] })).issues[0].message).toBe('expected key.path=value');
  });

  it('refuses a wrong type, naming the key and the bad value', () => {
    const e = configError(() => loadExperiment(undefined, { set: ['train.batchSize=big'] }));
    expect(e.describe()).toContain("train.batchSize: expected a number, got 'big'");
    const f = writeFile(dir, 'types.yaml', `corpus: { path: ${iemocapPkl} }\nsplit:\n  protocol: leave-one-out\ntrain:\n  epochs: many\n`);
    const e2 = configError(() => loadExperiment(f));
    expect(e2.issues.map((i) => `${i.where.split('/').pop()} ${i.key}`).sort()).toEqual(['types.yaml:3 split.protocol', 'types.yaml:5 train.epochs']);
    expect(e2.issues.find((i) => i.key === 'train.epochs')!.message).toBe("expected 'auto' or a positive integer, got 'many'");
    expect(e2.issues.find((i) => i.key === 'split.protocol')!.message).toContain("'loso-speaker'");
  });

  it('suggests the nearest value for a misspelt choice', () => {
    const e = configError(() => loadExperiment(undefined, { set: ['systems=[text_lstm]'] }));
    expect(e.issues[0]).toMatchObject({ key: 'systems[0]', fix: "did you mean 'text-lstm'?" });
    expect(configError(() => loadExperiment(undefined, { set: ['train.backend=webgl-metal'] })).issues[0].fix).toBeUndefined();
  });

  it('refuses malformed YAML with file, line and column', () => {
    const f = writeFile(dir, 'broken.yaml', 'experiment: x\ntrain:\n  epochs: 5\n   batchSize: 3\n');
    const e = configError(() => loadExperiment(f));
    expect(e.issues[0].where).toMatch(/broken\.yaml:\d+:\d+$/);
    expect(Number(e.issues[0].where.split(':').at(-2))).toBeGreaterThanOrEqual(3);
    expect(e.describe()).toContain('malformed YAML');
    const f2 = writeFile(dir, 'list.yaml', '- a\n- b\n');
    expect(configError(() => loadExperiment(f2)).describe()).toContain('expected a mapping of keys');
  });

  it('refuses a missing experiment file', () => {
    expect(configError(() => loadExperiment(path.join(dir, 'nope.yaml'))).describe()).toContain('experiment file not found');
  });

  it('refuses a missing corpus path, saying where it was resolved', () => {
    const f = writeFile(dir, 'missing.yaml', 'corpus:\n  path: data/iemocap.pkl\n');
    const e = configError(() => loadExperiment(f));
    expect(e.issues[0].key).toBe('corpus.path');
    expect(e.issues[0].where).toMatch(/missing\.yaml:2$/);
    // outside the repo: relative to the YAML file's own folder
    expect(e.issues[0].message).toContain(path.join(dir, 'data/iemocap.pkl'));
    expect(e.issues[0].message).toContain(`the file's folder ${dir}`);
    expect(e.issues[0].fix).toContain('--set corpus.path=');
    // checkFiles: false skips only the file checks
    expect(loadExperiment(f, { checkFiles: false }).corpus.path).toBe(path.join(dir, 'data/iemocap.pkl'));
  });

  it('resolves paths where they were written: the YAML folder, or the cwd for --set', () => {
    writeFile(dir, 'data/corpus.pkl', 'x');
    writeFile(dir, 'vec/tiny.vec', '1 2\na 0 1\n');
    const f = writeFile(dir, 'sub/rel.yaml', 'corpus: { path: ../data/corpus.pkl }\nfeatures: { text: { embeddings: ../vec/tiny.vec } }\n');
    const c = loadExperiment(f);
    expect(c.corpus.path).toBe(path.join(dir, 'data/corpus.pkl'));
    expect(c.features.text.embeddings).toBe(path.join(dir, 'vec/tiny.vec'));
    expect(c.output.dir).toBe(path.join(repoRoot, 'runs')); // still the default's own base
    const c2 = loadExperiment(undefined, { set: ['corpus.path=data/corpus.pkl'], cwd: dir });
    expect(c2.corpus.path).toBe(path.join(dir, 'data/corpus.pkl'));
    const e = configError(() => loadExperiment(undefined, { set: ['features.text.embeddings=vec/none.vec'], cwd: dir }));
    expect(e.issues[0]).toMatchObject({ key: 'features.text.embeddings', where: '--set features.text.embeddings=vec/none.vec' });
    expect(e.issues[0].message).toContain(`the working directory ${dir}`);
  });

  it('checks rules across keys, pointing at the key that was set', () => {
    const fused = configError(() => loadExperiment(undefined, { set: ['fusion.rules=[weighted]'] }));
    expect(fused.issues[0]).toMatchObject({ key: 'fusion.systems', where: '--set fusion.rules=[weighted]' });
    expect(fused.issues[0].message).toContain("'joint-cnn' is fused but not trained");
    const speech = configError(() => loadExperiment(undefined, { set: ['systems=[speech-cnn]'] }));
    expect(speech.issues[0].message).toContain('openSMILE needs audio');
    const emodb = configError(() => loadExperiment(undefined, { set: ['corpus.type=emodb', `corpus.path=${path.join(sharedData, 'emodb')}`] }));
    expect(emodb.issues[0].fix).toContain('loso-speaker');
    const frozen = configError(() => loadExperiment(undefined, { set: ['corpus.type=emodb', `corpus.path=${path.join(sharedData, 'emodb')}`, 'split.protocol=loso-speaker', 'systems=[joint-cnn]'] }));
    expect(frozen.issues[0].message).toContain('text-lstm is not in systems');
    expect(configError(() => loadExperiment(undefined, { set: ['seeds=[1, 1]'] })).issues[0].message).toContain('listed twice');
    expect(configError(() => loadExperiment(undefined, { set: ["split.folds=['Ses05']"] })).issues[0].key).toBe('split.folds');
  });

  it('lists several problems at once', () => {
    const f = writeFile(dir, 'many.yaml', 'trian: {}\nmodel:\n  txt: {}\n');
    const e = configError(() => loadExperiment(f));
    expect(e.issues.map((i) => i.key)).toEqual(['trian', 'model.txt']);
    expect(e.describe()).toContain('2 problems');
    expect(e.issues[0].fix).toBe('did you mean `train`?');
    expect(e.issues[1].fix).toBe('did you mean `text`?');
  });

  it('writes config.resolved.yaml that loads back to the same config', () => {
    const c = loadExperiment(undefined, { set: ['train.batchSize=16', 'tags.k=v'], seed: 3 });
    const file = writeResolvedConfig(path.join(dir, 'run1'), c);
    const text = readFileSync(file, 'utf8');
    expect(YAML.parse(text)).toEqual(c);
    expect(loadExperiment(file)).toEqual(c);
  });

  it('blames a type error on the file that wrote it, not on a later --set of a sibling key', () => {
    const file = writeFile(dir, 'wrongtype.yaml', 'experiment: wrongtype\ntrain:\n  batchSize: big\n');
    const e = configError(() => loadExperiment(file, { set: ['train.epochs=1'], checkFiles: false }));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0].key).toBe('train.batchSize');
    expect(e.issues[0].where).toMatch(/wrongtype\.yaml:3$/);
    // A later layer that replaces the value does own it.
    const f = configError(() => loadExperiment(file, { set: ['train.batchSize=huge'], checkFiles: false }));
    expect(f.issues[0].where).toBe('--set train.batchSize=huge');
  });

  it('refuses a dialogue-level model on a corpus without dialogues (the descriptor says so)', () => {
    const e = configError(() => loadExperiment(undefined, { set: ['corpus.type=emodb', `corpus.path=${path.join(sharedData, 'emodb')}`, 'split.protocol=loso-speaker', 'systems=[bc-lstm]', 'model.bclstm.textVector=mean'] }));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0].message).toMatch(/bc-lstm reads whole dialogues in order, but corpus emodb has no dialogues/);
    expect(e.issues[0].where).toBe('--set systems=[bc-lstm]');
  });

  it('refuses fine-tuned word vectors with pkl vectors or with a model that cannot embed its words', () => {
    const bc = configError(() => loadExperiment(undefined, { set: ['features.text.trainable=true', 'systems=[text-lstm, bc-lstm]'] }));
    expect(bc.issues).toHaveLength(1);
    expect(bc.issues[0]).toMatchObject({ key: 'features.text.trainable', where: '--set features.text.trainable=true' });
    expect(bc.issues[0].message).toBe('bc-lstm reads word vectors and cannot fine-tune them');
    expect(bc.issues[0].fix).toContain('text-lstm, joint-cnn, tfn, lmf, text-cnn');
    const pkl = configError(() => loadExperiment(undefined, { set: ['corpus.type=iemocap-features', 'features.text.source=pkl', 'model.text.lstmInput=utterance', 'features.text.trainable=true'], checkFiles: false }));
    expect(pkl.issues.map((i) => i.key)).toEqual(['features.text.trainable']);
    expect(pkl.issues[0].message).toContain("features.text.source is 'pkl'");
    expect(loadExperiment(undefined, { set: ['features.text.trainable=true', 'systems=[text-cnn]'] }).features.text.trainable).toBe(true);
  });

  it('knows every key of the config tree', () => {
    const keys = allKeyPaths();
    for (const k of ['experiment', 'seeds', 'corpus.path', 'split.folds', 'features.text.maxTokens', 'features.speech.smileBinary', 'features.cacheDir',
      'model.joint.textBranch', 'train.backend', 'fusion.step', 'tracking.experiment', 'output.dir', 'report.enabled']) {
      expect(keys).toContain(k);
    }
  });
});
