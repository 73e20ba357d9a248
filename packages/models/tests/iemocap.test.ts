import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Parser } from 'pickleparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeRng, type SequenceMatrix } from '@emofuse/core';
import { buildModel, predict, selectBackend, train } from '../src/index.ts';
import { SMALL } from './helpers.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const shared = process.env.EMOFUSE_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');
const NAMES = ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'];

type Dict<T> = Map<string, T> | Record<string, T>;
const get = <T>(d: Dict<T>, k: string): T => (d instanceof Map ? d.get(k)! : d[k]);

/** Real transcripts and labels of a few IEMOCAP dialogues, words embedded by a fixed random vector each. */
function readParts(steps: number, dim: number) {
  const raw = new Parser().parse(readFileSync(path.join(shared, 'iemocap/iemocap.pkl'))) as unknown[];
  const [, labels, sentences, trainIds, , validIds] = raw as [unknown, Dict<number[]>, Dict<string[]>, string[], unknown, string[]];
  const vectors = new Map<string, Float32Array>();
  const embed = (w: string) => {
    let v = vectors.get(w);
    if (!v) {
      const rng = makeRng(`word:${w}`);
      v = Float32Array.from({ length: dim }, () => rng() * 2 - 1);
      vectors.set(w, v);
    }
    return v;
  };
  const part = (dialogues: string[]) => {
    const ids: string[] = [];
    const labs: string[] = [];
    const texts: string[] = [];
    for (const d of dialogues) {
      get(sentences, d).forEach((s, i) => { ids.push(`${d}_${i}`); labs.push(NAMES[get(labels, d)[i]]); texts.push(s); });
    }
    const values = new Float32Array(ids.length * steps * dim);
    const lengths = new Int32Array(ids.length);
    texts.forEach((t, r) => {
      const words = t.toLowerCase().match(/[a-z']+/g) ?? [];
      lengths[r] = Math.min(words.length, steps);
      words.slice(0, steps).forEach((w, s) => values.set(embed(w), (r * steps + s) * dim));
    });
    const text: SequenceMatrix = { ids, steps, dim, values, lengths };
    return { text, labels: labs };
  };
  return { train: part(trainIds.slice(0, 4)), valid: part(validIds.slice(0, 1)) };
}

beforeAll(async () => { await selectBackend('auto'); });

describe('on real IEMOCAP transcripts', () => {
  it('text-lstm fits real sentences of four training dialogues and scores a held-out one', async () => {
    const { train: tr, valid } = readParts(20, 16);
    expect(tr.text.ids.length).toBeGreaterThan(80);
    expect(new Set(tr.labels).size).toBeGreaterThan(2);
    const m = buildModel({ type: 'text-lstm', classes: NAMES, input: { text: { kind: 'sequence', steps: 20, dim: 16 } }, model: SMALL, seed: 1 });
    const r = await train(m, { train: { inputs: { text: tr.text }, labels: tr.labels }, valid: { inputs: { text: valid.text }, labels: valid.labels } }, {
      epochs: 12, batchSize: 16, learningRate: 0.01, patience: 100, seed: 1,
    });
    expect(r.history.at(-1)!.trainLoss).toBeLessThan(r.history[0].trainLoss);
    expect(r.history.at(-1)!.trainAcc).toBeGreaterThan(r.history[0].trainAcc);
    const p = predict(m, { text: valid.text });
    expect(p.ids).toEqual(valid.text.ids);
    m.net.dispose();
  });
});
