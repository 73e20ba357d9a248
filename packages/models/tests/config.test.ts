import { describe, expect, it } from 'vitest';
import { MODEL_DEFAULTS, TRAIN_DEFAULTS, modelConfigSchema, trainConfigSchema, autoEpochs } from '../src/index.ts';

describe('Table 1 defaults', () => {
  it('hold the paper values under the agreed key names', () => {
    expect(MODEL_DEFAULTS).toEqual({
      dense: [512, 128],
      text: { convWidths: [3, 4, 5], convFilters: 64, dim: 100, lstmUnits: 128, dropout: 0.2, lstmInput: 'words' },
      speech: { filters: 128, kernel: 5, poolSize: 2, convLayers: 2 },
      joint: { fusedDim: 200, textBranch: 'frozen' },
    });
    expect(TRAIN_DEFAULTS).toEqual({ epochs: 'auto', batchSize: 32, learningRate: 0.001, patience: 6, classWeights: 'none', backend: 'auto' });
    expect(autoEpochs('speech-cnn')).toBe(20);
    expect(autoEpochs('joint-cnn')).toBe(20);
    expect(autoEpochs('text-lstm')).toBe(40);
  });

  it('validate against their own schemas and cannot be mutated', () => {
    expect(modelConfigSchema.parse(MODEL_DEFAULTS)).toEqual(MODEL_DEFAULTS);
    expect(trainConfigSchema.parse(TRAIN_DEFAULTS)).toEqual(TRAIN_DEFAULTS);
    expect(() => { (MODEL_DEFAULTS.text as { lstmUnits: number }).lstmUnits = 1; }).toThrow();
    expect(MODEL_DEFAULTS.text.lstmUnits).toBe(128);
  });

  it('refuse unknown keys at every level and wrong values', () => {
    expect(modelConfigSchema.safeParse({ ...MODEL_DEFAULTS, extra: 1 }).success).toBe(false);
    const typo = { ...MODEL_DEFAULTS, text: { ...MODEL_DEFAULTS.text, lstmUnit: 64 } };
    const r = modelConfigSchema.safeParse(typo);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('lstmUnit');
    expect(modelConfigSchema.safeParse({ ...MODEL_DEFAULTS, text: { ...MODEL_DEFAULTS.text, lstmInput: 'chars' } }).success).toBe(false);
    expect(trainConfigSchema.safeParse({ ...TRAIN_DEFAULTS, epochs: 0 }).success).toBe(false);
    expect(trainConfigSchema.safeParse({ ...TRAIN_DEFAULTS, epochs: 12 }).success).toBe(true);
    expect(trainConfigSchema.safeParse({ ...TRAIN_DEFAULTS, backend: 'webgpu' }).success).toBe(false);
    expect(trainConfigSchema.safeParse({ ...TRAIN_DEFAULTS, patiense: 3 }).success).toBe(false);
  });
});
