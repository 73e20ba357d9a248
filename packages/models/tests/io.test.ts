import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEmofuseError } from '@emofuse/core';
import { buildModel, loadModel, loadPosteriors, predict, saveModel, savePosteriors, selectBackend, train } from '../src/index.ts';
import { CLASSES, SMALL, synthetic } from './helpers.ts';

let tmp = '';
// Chosen before the tests are collected, so a test that needs tfjs-node is skipped with a reason, not passed.
const backend = (await selectBackend('auto')).name;
if (backend !== 'tensorflow') console.warn(`io.test.ts: backend ${backend}, not tensorflow: the tfjs-node file-format test is skipped (build tfjs-node with scripts/setup.sh)`);
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-models-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const d = synthetic(48, 9);
const seq = { kind: 'sequence' as const, steps: d.text.steps, dim: d.text.dim };

describe('saveModel / loadModel', () => {
  for (const type of ['text-lstm', 'joint-cnn'] as const) {
    it(`${type}: a saved and reloaded model gives the same posteriors`, async () => {
      const input = type === 'text-lstm' ? { text: seq } : { text: seq, speech: { dim: 40 } };
      const m = buildModel({ type, classes: CLASSES, input, model: SMALL, seed: 2 });
      await train(m, { train: { inputs: { text: d.text, speech: d.speech }, labels: d.labels } }, { epochs: 2, batchSize: 16 });
      const dir = path.join(tmp, type);
      await saveModel(m, dir);
      expect(readdirSync(dir).sort()).toEqual(['emofuse.json', 'model.json', 'weights.bin']);
      expect(readdirSync(tmp).filter((f) => f.includes('partial'))).toEqual([]);
      const back = await loadModel(dir);
      expect(back.type).toBe(type);
      expect(back.classes).toEqual(CLASSES);
      // The whole model: section comes back: the slices given, and every other slice's defaults.
      expect(back.config).toEqual(m.config);
      expect(back.config).toMatchObject(SMALL);
      const a = predict(m, { text: d.text, speech: d.speech });
      const b = predict(back, { text: d.text, speech: d.speech });
      expect(Array.from(b.probs)).toEqual(Array.from(a.probs));
      // a loaded model can train further
      await train(back, { train: { inputs: { text: d.text, speech: d.speech }, labels: d.labels } }, { epochs: 1, batchSize: 16 });
      m.net.dispose();
      back.net.dispose();
    });
  }

  // tfjs-node's file:// loader exists only with tfjs-node.
  it.skipIf(backend !== 'tensorflow')('writes the tfjs layers format that tfjs-node itself reads', async () => {
    const m = buildModel({ type: 'speech-cnn', classes: CLASSES, input: { speech: { dim: 40 } }, model: SMALL, seed: 2 });
    const dir = path.join(tmp, 'speech');
    await saveModel(m, dir);
    const net = await tf.loadLayersModel(`file://${dir}/model.json`);
    const x = tf.tensor2d(d.speech.values, [48, 40]);
    expect(Array.from((net.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((m.net.predict(x) as tf.Tensor).dataSync()));
    x.dispose();
  });

  it('refuses a directory that is not a saved model, naming what is missing', async () => {
    let err: unknown;
    try { await loadModel(path.join(tmp, 'nothing')); } catch (e) { err = e; }
    expect(isEmofuseError(err)).toBe(true);
    expect((err as Error).message).toContain('model.json');
  });

  it('refuses inputs the model was not built for', () => {
    const m = buildModel({ type: 'speech-cnn', classes: CLASSES, input: { speech: { dim: 40 } }, model: SMALL });
    expect(() => predict(m, { speech: { ids: ['a'], dim: 30, values: new Float32Array(30) } })).toThrow(/30 features, the model expects 40/);
    expect(() => predict(m, { text: d.text })).toThrow(/needs speech inputs/);
    m.net.dispose();
  });
});

describe('savePosteriors / loadPosteriors', () => {
  const p = { ids: ['Ses05F_impro01_0', 'id,with "quotes"'], classes: ['hap', 'sad', 'neu'], probs: Float32Array.from([0.2, 0.3, 0.5, 0.1, 0.1, 0.8]) };
  for (const ext of ['json', 'csv']) {
    it(`round-trips ${ext}`, () => {
      const file = path.join(tmp, `post.${ext}`);
      savePosteriors(p, file);
      const back = loadPosteriors(file);
      expect(back.ids).toEqual(p.ids);
      expect(back.classes).toEqual(p.classes);
      expect(Array.from(back.probs)).toEqual(Array.from(p.probs));
    });
  }

  it('names the file and line of a bad row, and refuses rows that do not sum to 1', () => {
    const file = path.join(tmp, 'bad.csv');
    writeFileSync(file, 'id,hap,sad\na,0.5,0.5\nb,0.5,x\n');
    let err: unknown;
    try { loadPosteriors(file); } catch (e) { err = e; }
    expect(isEmofuseError(err) && err.describe()).toMatch(/bad\.csv line 3: column sad is not a number/);
    writeFileSync(file, 'id,hap,sad\na,0.5,0.4\n');
    expect(() => loadPosteriors(file)).toThrow(/sums to/);
    expect(() => savePosteriors(p, path.join(tmp, 'post.txt'))).toThrow(/unknown posteriors format/);
    expect(existsSync(path.join(tmp, 'post.txt'))).toBe(false);
    expect(readFileSync(path.join(tmp, 'post.csv'), 'utf8').split('\n')[0]).toBe('id,hap,sad,neu');
  });
});
