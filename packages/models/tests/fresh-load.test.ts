// Every model type, saved, loads and predicts in a fresh Node process: one that never built a
// model, so a custom layer registered anywhere but at import (as bc-lstm's context BiLSTM once
// was, inside its factory) is unknown there and the load fails.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRng } from '@emofuse/core';
import {
  buildModel, inputSpecFor, inputsFor, modelDescriptor, modelTypes, predictModel, saveModel, selectBackend, trainModel,
  type BackendPreference, type EmofuseModel, type ModelInputs,
} from '../src/index.ts';
import { CLASSES, SMALL, synthetic } from './helpers.ts';

export interface FreshLoadJob {
  backend: BackendPreference;
  models: { type: string; dir: string; inputs?: Record<string, Record<string, unknown>>; utterances?: { values: number[]; shape: number[] } }[];
}

const root = path.resolve(import.meta.dirname, '../../..');
const backend = (await selectBackend('auto')).name;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-fresh-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Every slice at a size that trains in well under a second.
const TINY = {
  ...SMALL,
  tfn: { textDim: 4, speechDim: 5, speechLayers: 2, hidden: [8], dropout: 0.1 },
  lmf: { rank: 2, fusedDim: 4, hidden: [8] },
  textcnn: { convWidths: [3, 4], convFilters: 4, dropout: 0.1 },
  bclstm: { textVector: 'mean', units: 4, hidden: 4, dropout: 0.1, batchDialogues: 2, learningRate: null },
  linear: { c: [1], maxIterations: 20 },
} as never;

const d = synthetic(24, 5);
const dialogues = { dialogue: new Map(d.ids.map((id, i) => [id, `d${i % 4}`])), order: new Map(d.ids.map((id, i) => [id, i])) };

/** The run's inputs as a model of this type reads them (one text vector per utterance for the linear ones). */
function inputsOf(type: string): ModelInputs {
  const all = { text: modelDescriptor(type).reads.text === 'vector' ? d.textVectors : d.text, speech: d.speech, dialogues };
  return inputsFor(type, all, d.ids);
}

/** Utterance vectors as bc-lstm's net reads them: (dialogues, utterances, dim), the trailing 1 marking real ones. */
function utteranceVectors(m: EmofuseModel) {
  const dim = m.net.inputs[0].shape[2] as number;
  const shape = [2, 5, dim];
  const rng = makeRng('fresh-load:utterances');
  const values = Array.from({ length: 2 * 5 * dim }, (_, i) => (i % dim === dim - 1 ? 1 : rng() - 0.5));
  values.fill(0, (5 + 3) * dim); // the second dialogue has 3 utterances: zero padding after them
  return { values, shape };
}

/** JSON-safe inputs (typed arrays as plain arrays; the dialogue index is not needed to predict these). */
function plain(inputs: ModelInputs): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, m] of Object.entries(inputs)) {
    if (k === 'dialogues') continue;
    out[k] = Object.fromEntries(Object.entries(m as object).map(([f, v]) => [f, ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v]));
  }
  return out;
}

describe('a saved model loads and predicts in a fresh process', () => {
  it('every registered type gives the posteriors it gave in the process that trained it', async () => {
    const job: FreshLoadJob = { backend, models: [] };
    const expected: Record<string, number[]> = {};
    const trained: Record<string, EmofuseModel> = {};
    for (const type of modelTypes()) {
      const inputs = inputsOf(type);
      const m = buildModel({ type, classes: CLASSES, input: inputSpecFor(type, inputs), model: TINY, seed: 3, from: trained });
      await trainModel(m, { train: { inputs, labels: d.labels } }, { epochs: 1, batchSize: 8 });
      trained[type] = m;
      const dir = path.join(tmp, type);
      await saveModel(m, dir);
      if (modelDescriptor(type).context === 'dialogue') {
        const utterances = utteranceVectors(m);
        expected[type] = Array.from(tf.tidy(() => (m.net.predict(tf.tensor3d(utterances.values, utterances.shape as [number, number, number])) as tf.Tensor).dataSync()));
        job.models.push({ type, dir, utterances });
      } else {
        expected[type] = Array.from(predictModel(m, inputs).probs);
        job.models.push({ type, dir, inputs: plain(inputs) });
      }
    }
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['bc-lstm', 'bc-lstm-speech', 'bc-lstm-fused', 'linear', 'text-lstm']));

    const jobFile = path.join(tmp, 'job.json');
    writeFileSync(jobFile, JSON.stringify(job));
    const stdout = execFileSync(process.execPath, ['--import', path.join(root, 'node_modules/tsx/dist/loader.mjs'), path.join(import.meta.dirname, 'fresh-load-child.ts'), jobFile], {
      cwd: root, encoding: 'utf8', env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, 'tsconfig.json') }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const got = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number[] | string>;
    for (const [type, want] of Object.entries(expected)) {
      const have = got[type];
      expect(typeof have === 'string' ? have : 'loaded', type).toBe('loaded');
      expect((have as number[]).length, type).toBe(want.length);
      const worst = Math.max(...want.map((v, i) => Math.abs(v - (have as number[])[i])));
      expect(worst, `${type}: largest difference of a posterior`).toBeLessThan(1e-5);
    }
    for (const m of Object.values(trained)) m.net.dispose();
  }, 300_000);
});
