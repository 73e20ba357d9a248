import { describe, expect, it } from 'vitest';
import { makeRng, type FeatureMatrix } from '@emofuse/core';
import { buildModel, modelDescriptor, predictModel, train, trainModel, trainingOrder, type DialogueIndex } from '../../src/index.ts';
import { CLASSES, SMALL, synthetic, accuracy } from '../helpers.ts';

/**
 * Dialogues where an utterance's own vector is pure noise and its label is that of the utterance
 * before it (the first one: class 0); only a model that reads the dialogue in order can learn it.
 */
function contextual(dialogues: number, len: number, seed: number, prefix: string, next = false) {
  const rng = makeRng(`ctx:${seed}`);
  const dim = 6;
  const ids: string[] = [];
  const labels: string[] = [];
  const dialogue = new Map<string, string>();
  const order = new Map<string, number>();
  const values: number[] = [];
  for (let d = 0; d < dialogues; d++) {
    let prev = 0;
    // with `next`, lengths vary (len-2..len), so the backward pass runs through padding
    const n = next ? len - 2 + (d % 3) : len;
    // stored out of order: the model must sort by position
    const pos = Array.from({ length: n }, (_, i) => n - 1 - i);
    const cues = Array.from({ length: n }, () => Math.floor(rng() * CLASSES.length));
    for (const i of pos) {
      const id = `${prefix}${d}_${i}`;
      ids.push(id);
      dialogue.set(id, `${prefix}d${d}`);
      order.set(id, i);
      prev = next ? (i === n - 1 ? 0 : cues[i + 1]) : i === 0 ? 0 : cues[i - 1];
      labels.push(CLASSES[prev]);
      for (let j = 0; j < dim; j++) values.push(rng() - 0.5 + (j === cues[i] ? 1.5 : 0));
    }
  }
  const speech: FeatureMatrix = { ids, dim, values: Float32Array.from(values) };
  return { ids, labels, speech, dialogues: { dialogue, order } as DialogueIndex };
}

const CFG = { ...SMALL, bclstm: { textVector: 'mean', units: 8, hidden: 8, dropout: 0, batchDialogues: 8, learningRate: null } } as never;

describe('bc-lstm', () => {
  it('reads the dialogue in order: learns a label that only the previous utterance shows', async () => {
    const tr = contextual(24, 5, 1, 't');
    const va = contextual(6, 5, 2, 'v');
    const te = contextual(10, 5, 3, 'x');
    const part = (d: typeof tr) => ({ inputs: { speech: d.speech, dialogues: d.dialogues }, labels: d.labels });
    const m = buildModel({ type: 'bc-lstm-speech', classes: CLASSES, input: { speech: { dim: 6 } }, model: CFG, seed: 1 });
    const r = await trainModel(m, { train: part(tr), valid: part(va) }, { epochs: 25, learningRate: 0.03, patience: 25 });
    expect(r.history.length).toBeGreaterThan(1);
    const p = predictModel(m, { speech: te.speech, dialogues: te.dialogues });
    expect(p.ids).toEqual(te.ids);
    const acc = te.labels.filter((l, i) => {
      const row = Array.from(p.probs.subarray(i * 3, i * 3 + 3));
      return CLASSES[row.indexOf(Math.max(...row))] === l;
    }).length / te.labels.length;
    expect(acc).toBeGreaterThan(0.7); // an utterance-level model is at chance (1/3)
    m.net.dispose();
  }, 120_000);

  it('reads it backwards too, through the padding of shorter dialogues: learns the next utterance\'s cue', async () => {
    const tr = contextual(24, 6, 4, 't', true);
    const va = contextual(6, 6, 5, 'v', true);
    const te = contextual(12, 6, 6, 'x', true);
    const part = (d: typeof tr) => ({ inputs: { speech: d.speech, dialogues: d.dialogues }, labels: d.labels });
    const m = buildModel({ type: 'bc-lstm-speech', classes: CLASSES, input: { speech: { dim: 6 } }, model: CFG, seed: 1 });
    await trainModel(m, { train: part(tr), valid: part(va) }, { epochs: 25, learningRate: 0.03, patience: 25 });
    const p = predictModel(m, { speech: te.speech, dialogues: te.dialogues });
    expect(accuracy(p, te.labels)).toBeGreaterThan(0.8);
    m.net.dispose();
  }, 120_000);

  it("takes text-lstm for its T, and reads it from the trained model's extractor", async () => {
    const q = { model: { bclstm: { textVector: "text-lstm" } }, textInput: "sequence" as const };
    expect(trainingOrder(['bc-lstm'], q)).toEqual(['text-lstm', 'bc-lstm']);
    expect(trainingOrder(['bc-lstm'], { ...q, model: { bclstm: { textVector: 'mean' } } })).toEqual(['bc-lstm']);
    expect(modelDescriptor('bc-lstm').check!({ ...q, systems: ['bc-lstm'] })[0].fix).toMatch(/add text-lstm/);
    const d = synthetic(40, 7);
    const dialogues: DialogueIndex = { dialogue: new Map(d.ids.map((id, i) => [id, `d${i % 5}`])), order: new Map(d.ids.map((id, i) => [id, i])) };
    const seq = { kind: 'sequence' as const, steps: d.text.steps, dim: d.text.dim };
    const cfg = { ...SMALL, bclstm: { textVector: 'text-lstm', units: 8, hidden: 8, dropout: 0, batchDialogues: 2, learningRate: null } } as never;
    const tm = buildModel({ type: 'text-lstm', classes: CLASSES, input: { text: seq }, model: cfg, seed: 1 });
    await train(tm, { train: { inputs: { text: d.text }, labels: d.labels } }, { epochs: 1 });
    const m = buildModel({ type: 'bc-lstm', classes: CLASSES, input: { text: seq }, model: cfg, seed: 1, from: { 'text-lstm': tm } });
    expect(m.net.inputs[0].shape).toEqual([null, null, SMALL.text.dim + 1]);
    const part = { inputs: { text: d.text, dialogues }, labels: d.labels };
    const r = await trainModel(m, { train: part, valid: part }, { epochs: 2 });
    expect(r.history).toHaveLength(2);
    const p = predictModel(m, { text: d.text, dialogues });
    expect(p.ids).toEqual(d.ids);
    for (let i = 0; i < d.ids.length; i++) expect(Array.from(p.probs.subarray(i * 3, i * 3 + 3)).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    m.net.dispose();
    tm.net.dispose();
  }, 120_000);

  it('refuses a corpus without dialogues (EmoDB) when the question names it', () => {
    const issues = modelDescriptor('bc-lstm-speech').check!({ model: { bclstm: { textVector: 'mean' } }, textInput: 'sequence', systems: ['bc-lstm-speech'], corpus: { type: 'emodb', name: 'emodb' } } as never);
    expect(issues[0].message).toMatch(/no dialogues/);
  });
});
