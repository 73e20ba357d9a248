import { MODEL_DEFAULTS, TRAIN_DEFAULTS, autoEpochs, modelConfigSchema, trainConfigSchema } from '@emofuse/models';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, allKeyPaths, configSchema, epochsFor } from '../../src/config/index.ts';

// defaults.ts keeps literal values (importing @emofuse/models would load tfjs on every CLI call,
// even --help); these tests keep them equal to what the models package builds from.
describe('defaults agree with @emofuse/models', () => {
  it('model and train defaults equal MODEL_DEFAULTS and TRAIN_DEFAULTS', () => {
    expect(DEFAULTS.model).toEqual(MODEL_DEFAULTS);
    expect(DEFAULTS.train).toEqual(TRAIN_DEFAULTS);
  });

  it('the config tree has exactly the keys the models schemas accept', () => {
    const ours = allKeyPaths(configSchema.shape.model).sort();
    const theirs = allKeyPaths(modelConfigSchema).sort();
    expect(ours).toEqual(theirs);
    expect(allKeyPaths(configSchema.shape.train).sort()).toEqual(allKeyPaths(trainConfigSchema).sort());
    expect(modelConfigSchema.parse(DEFAULTS.model)).toEqual(DEFAULTS.model);
    expect(trainConfigSchema.parse(DEFAULTS.train)).toEqual(DEFAULTS.train);
  });

  it("'auto' epochs match the models package", () => {
    for (const s of ['text-lstm', 'speech-cnn', 'joint-cnn'] as const) expect(epochsFor(s, 'auto')).toBe(autoEpochs(s));
    expect(epochsFor('text-lstm', 7)).toBe(7);
  });

  it('the defaults themselves validate', () => {
    expect(configSchema.parse(DEFAULTS)).toEqual(DEFAULTS);
  });
});
