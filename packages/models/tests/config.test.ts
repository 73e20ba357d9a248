import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BUILTIN_MODELS, MODEL_DEFAULTS, TRAIN_DEFAULTS, autoEpochs, modelConfigSchema, modelDefaults, modelDescriptor, modelTypes, registerModel,
  registryVersion, resetModelRegistry, trainConfigSchema,
} from '../src/config.ts';

describe('Table 1 defaults', () => {
  it('hold the paper values under the agreed key names', () => {
    // The paper's slices, exactly; the baselines' slices sit beside them, one per model file.
    expect(MODEL_DEFAULTS.dense).toEqual([512, 128]);
    expect(MODEL_DEFAULTS.text).toEqual({ convWidths: [3, 4, 5], convFilters: 64, dim: 100, lstmUnits: 128, dropout: 0.2, lstmInput: 'words' });
    expect(MODEL_DEFAULTS.speech).toEqual({ filters: 128, kernel: 5, poolSize: 2, convLayers: 2 });
    expect(MODEL_DEFAULTS.joint).toEqual({ fusedDim: 200, textBranch: 'frozen' });
    const sliceKeys = modelTypes().map((t) => modelDescriptor(t).config?.key).filter(Boolean);
    expect(Object.keys(MODEL_DEFAULTS).sort()).toEqual(['dense', ...sliceKeys].sort());
    expect(TRAIN_DEFAULTS).toEqual({ epochs: 'auto', batchSize: 32, learningRate: 0.001, patience: 6, monitor: 'valid_loss', classWeights: 'none', backend: 'auto' });
    expect(autoEpochs('speech-cnn')).toBe(20);
    expect(autoEpochs('joint-cnn')).toBe(20);
    expect(autoEpochs('text-lstm')).toBe(40);
  });

  it('validate against their own schemas and cannot be mutated', () => {
    expect(modelConfigSchema().parse(MODEL_DEFAULTS)).toEqual(MODEL_DEFAULTS);
    expect(trainConfigSchema.parse(TRAIN_DEFAULTS)).toEqual(TRAIN_DEFAULTS);
    expect(() => { (MODEL_DEFAULTS.text as { lstmUnits: number }).lstmUnits = 1; }).toThrow();
    expect(MODEL_DEFAULTS.text.lstmUnits).toBe(128);
  });

  it('refuse unknown keys at every level and wrong values', () => {
    expect(modelConfigSchema().safeParse({ ...MODEL_DEFAULTS, extra: 1 }).success).toBe(false);
    const typo = { ...MODEL_DEFAULTS, text: { ...MODEL_DEFAULTS.text, lstmUnit: 64 } };
    const r = modelConfigSchema().safeParse(typo);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('lstmUnit');
    expect(modelConfigSchema().safeParse({ ...MODEL_DEFAULTS, text: { ...MODEL_DEFAULTS.text, lstmInput: 'chars' } }).success).toBe(false);
    expect(trainConfigSchema.safeParse({ ...TRAIN_DEFAULTS, epochs: 0 }).success).toBe(false);
    expect(trainConfigSchema.safeParse({ ...TRAIN_DEFAULTS, epochs: 12 }).success).toBe(true);
    expect(trainConfigSchema.safeParse({ ...TRAIN_DEFAULTS, backend: 'webgpu' }).success).toBe(false);
    expect(trainConfigSchema.safeParse({ ...TRAIN_DEFAULTS, patiense: 3 }).success).toBe(false);
  });
});

describe('the model registry', () => {
  it('resetModelRegistry forgets what was registered since the built-ins and restores them in their order', () => {
    const builtins = BUILTIN_MODELS.map((d) => d.type);
    expect(modelTypes()).toEqual(builtins);
    const speech = modelDescriptor('speech-cnn');
    registerModel({ ...speech, type: 'speech-cnn-reset-probe', config: { key: 'resetProbe', schema: z.strictObject({ n: z.number() }), defaults: { n: 1 } } });
    const before = registryVersion();
    expect(modelTypes()).toContain('speech-cnn-reset-probe');
    expect(modelDefaults().resetProbe).toEqual({ n: 1 });
    expect(MODEL_DEFAULTS.resetProbe).toBeUndefined(); // the built-ins' defaults, whatever else is registered
    resetModelRegistry();
    expect(registryVersion()).toBeGreaterThan(before);
    expect(modelTypes()).toEqual(builtins);
    expect(modelDefaults().resetProbe).toBeUndefined();
    expect(modelDefaults()).toEqual(MODEL_DEFAULTS);
    expect(() => modelDescriptor('speech-cnn-reset-probe')).toThrow(/unknown model type/);
  });
});

describe('@emofuse/models/config', () => {
  it('loads no tfjs, so --help and config errors stay fast', async () => {
    const { execFileSync } = await import('node:child_process');
    const path = await import('node:path');
    const entry = path.resolve(import.meta.dirname, '../src/config.ts');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', `
      await import(${JSON.stringify(entry)});
      // tfjs-core makes its engine (globalThis._tfengine) as soon as it is imported.
      console.log(JSON.stringify({ tfjs: '_tfengine' in globalThis }));
    `], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '../../..') });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ tfjs: false });
  });
});
