import { describe, expect, it } from 'vitest';
import { configDefaults, configSchema, loadExperiment } from '../../src/config/index.ts';

// The CLI composes the models package's slices (through its tfjs-free entry) instead of copying
// them, so these check the composition, not two copies against each other.
describe('the composed defaults', () => {
  it('validate against the composed schema', () => {
    const d = configDefaults();
    expect(configSchema().parse(d)).toEqual(d);
  });

  it('hold the paper values in the models slices', () => {
    const d = configDefaults();
    expect(d.model.text).toMatchObject({ convWidths: [3, 4, 5], convFilters: 64, dim: 100, lstmUnits: 128, dropout: 0.2, lstmInput: 'words' });
    expect(d.model.speech).toEqual({ filters: 128, kernel: 5, poolSize: 2, convLayers: 2 });
    expect(d.model.joint).toEqual({ fusedDim: 200, textBranch: 'frozen' });
    expect(d.model.dense).toEqual([512, 128]);
    expect(d.train).toMatchObject({ epochs: 'auto', batchSize: 32, learningRate: 0.001, patience: 6 });
  });

  it('are a fresh copy each time', () => {
    const a = configDefaults();
    a.model.text.lstmUnits = 3;
    expect(configDefaults().model.text.lstmUnits).toBe(128);
  });

  it('reading a config does not load tfjs', async () => {
    loadExperiment(undefined, { checkFiles: false });
    expect('_tfengine' in globalThis).toBe(false);
  });
});
