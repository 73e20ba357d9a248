import { beforeAll, describe, expect, it } from 'vitest';
import { isEmofuseError } from '@emofuse/core';
import { MODEL_DEFAULTS, buildModel, modelTypes, selectBackend, train } from '../src/index.ts';
import { CLASSES, SMALL, synthetic } from './helpers.ts';

beforeAll(async () => { await selectBackend('auto'); });

function shapeOf(m: ReturnType<typeof buildModel>, layer: string) {
  return m.net.getLayer(layer).outputShape;
}

describe('buildModel', () => {
  it('refuses an unknown type and lists the known ones', () => {
    let err: unknown;
    try { buildModel({ type: 'text-gru', classes: CLASSES, input: {} }); } catch (e) { err = e; }
    expect(isEmofuseError(err)).toBe(true);
    for (const t of ['text-lstm', 'speech-cnn', 'joint-cnn']) expect(String((err as Error).message)).toContain(t);
    expect(modelTypes()).toEqual(expect.arrayContaining(['text-lstm', 'speech-cnn', 'joint-cnn']));
  });

  it('builds the paper speech CNN: [100,1] -> conv 128x5 -> pool 2 -> conv -> pool -> 512 -> 128 -> 6', () => {
    const classes = ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'];
    const m = buildModel({ type: 'speech-cnn', classes, input: { speech: { dim: 100 } } });
    expect(shapeOf(m, 'speech_signal')).toEqual([null, 100, 1]);
    expect(shapeOf(m, 'cnn_conv_1')).toEqual([null, 96, 128]);
    expect(shapeOf(m, 'cnn_pool_1')).toEqual([null, 48, 128]);
    expect(shapeOf(m, 'cnn_conv_2')).toEqual([null, 44, 128]);
    expect(shapeOf(m, 'cnn_flatten')).toEqual([null, 22 * 128]);
    expect(shapeOf(m, 'dense_1')).toEqual([null, 512]);
    expect(shapeOf(m, 'dense_2')).toEqual([null, 128]);
    expect(m.net.outputs[0].shape).toEqual([null, 6]);
    m.net.dispose();
  });

  it('builds the text extractor (3,4,5 x 64 -> T=100) and both LSTM readings', () => {
    const input = { text: { kind: 'sequence' as const, steps: 50, dim: 100 } };
    const words = buildModel({ type: 'text-lstm', classes: CLASSES, input });
    expect(shapeOf(words, 'text_conv')).toEqual([null, 50, 192]);
    expect(shapeOf(words, 'text_steps')).toEqual([null, 50, 100]);
    expect(shapeOf(words, 'text_lstm')).toEqual([null, 128]);
    const utt = buildModel({ type: 'text-lstm', classes: CLASSES, input, model: { ...MODEL_DEFAULTS, text: { ...MODEL_DEFAULTS.text, lstmInput: 'utterance' } } });
    expect(shapeOf(utt, 'text_T')).toEqual([null, 100]);
    expect(shapeOf(utt, 'text_as_sequence')).toEqual([null, 1, 100]);
    const vec = buildModel({ type: 'text-lstm', classes: CLASSES, input: { text: { kind: 'vector', dim: 100 } }, model: { ...MODEL_DEFAULTS, text: { ...MODEL_DEFAULTS.text, lstmInput: 'utterance' } } });
    expect(vec.net.inputs.map((t) => t.shape)).toEqual([[null, 100]]);
    expect(() => buildModel({ type: 'text-lstm', classes: CLASSES, input: { text: { kind: 'vector', dim: 100 } } })).toThrow(/lstmInput/);
    for (const m of [words, utt, vec]) m.net.dispose();
  });

  it('builds the joint CNN on U = tanh(W_f [T; S] + b_f) of width fusedDim', () => {
    const m = buildModel({
      type: 'joint-cnn', classes: CLASSES, input: { text: { kind: 'vector', dim: 100 }, speech: { dim: 100 } },
    });
    expect(shapeOf(m, 'joint_TS')).toEqual([null, 200]);
    expect(shapeOf(m, 'joint_U')).toEqual([null, 200]);
    expect(shapeOf(m, 'joint_signal')).toEqual([null, 200, 1]);
    expect(m.net.getLayer('joint_U').getConfig().activation).toBe('tanh');
    m.net.dispose();
  });

  it('refuses a bad model config and a conv stack longer than its input', () => {
    expect(() => buildModel({ type: 'speech-cnn', classes: CLASSES, input: { speech: { dim: 100 } }, model: { ...MODEL_DEFAULTS, dense: [] } })).toThrow(/model\.dense/);
    expect(() => buildModel({ type: 'speech-cnn', classes: CLASSES, input: { speech: { dim: 8 } } })).toThrow(/shorter than the kernel/);
  });

  it('frozen text branch: needs a text model, copies its extractor and never changes it', async () => {
    const d = synthetic(48, 1);
    const seq = { kind: 'sequence' as const, steps: d.text.steps, dim: d.text.dim };
    const frozenCfg = { ...SMALL, joint: { ...SMALL.joint, textBranch: 'frozen' as const } };
    expect(() => buildModel({ type: 'joint-cnn', classes: CLASSES, input: { text: seq, speech: { dim: 40 } }, model: frozenCfg }))
      .toThrow(/no trained text model/);
    const textModel = buildModel({ type: 'text-lstm', classes: CLASSES, input: { text: seq }, model: SMALL, seed: 5 });
    await train(textModel, { train: { inputs: { text: d.text }, labels: d.labels } }, { epochs: 2, batchSize: 16 });
    const joint = buildModel({ type: 'joint-cnn', classes: CLASSES, input: { text: seq, speech: { dim: 40 } }, model: frozenCfg, textModel, seed: 5 });
    const before = joint.net.getLayer('text_T').getWeights()[0].arraySync();
    expect(before).toEqual(textModel.net.getLayer('text_T').getWeights()[0].arraySync());
    const convBefore = joint.net.getLayer('text_conv_w4').getWeights()[0].arraySync();
    const uBefore = joint.net.getLayer('joint_U').getWeights()[0].arraySync();
    await train(joint, { train: { inputs: { text: d.text, speech: d.speech }, labels: d.labels } }, { epochs: 2, batchSize: 16 });
    expect(joint.net.getLayer('text_T').getWeights()[0].arraySync()).toEqual(before);
    expect(joint.net.getLayer('text_conv_w4').getWeights()[0].arraySync()).toEqual(convBefore);
    expect(joint.net.getLayer('joint_U').getWeights()[0].arraySync()).not.toEqual(uBefore);
    const other = buildModel({ type: 'text-lstm', classes: CLASSES, input: { text: { ...seq, dim: 8 } }, model: SMALL });
    expect(() => buildModel({ type: 'joint-cnn', classes: CLASSES, input: { text: seq, speech: { dim: 40 } }, model: frozenCfg, textModel: other }))
      .toThrow(/does not match/);
  });
});
