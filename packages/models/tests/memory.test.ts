import { describe, expect, it } from 'vitest';
import { buildModel, checkModelMemory, memoryLimit, modelDefaults, registerModel, TRAINING_COPIES, type InputSpec } from '../src/index.ts';

// A model whose build dies allocating (as tfjs does for a Float32Array past its length limit) after a 4 -> 3 dense layer.
registerModel({
  type: 'test-alloc-fails', summary: 'test', reads: { speech: true }, context: 'utterance', defaultEpochs: 1,
  build(_req, t) {
    t.tf.layers.dense({ units: 3 }).apply(t.tf.input({ shape: [4] }));
    throw new RangeError('Invalid typed array length: 40000000000');
  },
});
// One that cannot be built on the shapes given (a stand-in for a shape the CLI had to guess).
registerModel({
  type: 'test-bad-shape', summary: 'test', reads: { speech: true }, context: 'utterance', defaultEpochs: 1,
  build() { throw new Error('conv layer 1 gets a signal of length 1'); },
});

const CLASSES = ['neu', 'hap', 'ang', 'sad'];
const INPUT: Record<string, InputSpec> = {
  'text-lstm': { text: { kind: 'sequence', steps: 12, dim: 20 } },
  'speech-cnn': { speech: { dim: 40 } },
  'joint-cnn': { text: { kind: 'sequence', steps: 12, dim: 20 }, speech: { dim: 40 } },
};
const D = modelDefaults();
const SMALL = { ...D, text: { ...D.text, lstmUnits: 8, convFilters: 4, dim: 6 }, speech: { ...D.speech, filters: 4 }, dense: [8] };
const GB = 1e9;

describe('checkModelMemory', () => {
  it('counts the parameters tf counts, for each system, with joint-cnn taking text-lstm', () => {
    const systems = ['text-lstm', 'speech-cnn', 'joint-cnn'];
    const r = checkModelMemory({ systems, classes: CLASSES, input: (s) => INPUT[s], model: SMALL, limit: { bytes: 64 * GB, free: 64 * GB, source: 'test' } });
    const trained: Record<string, ReturnType<typeof buildModel>> = {};
    for (const [i, s] of systems.entries()) {
      const m = buildModel({ type: s, classes: CLASSES, input: INPUT[s], model: SMALL, from: trained });
      trained[s] = m;
      expect(r.models[i].system).toBe(s);
      expect(r.models[i].params).toBe(m.net.countParams());
      expect(r.models[i].bytes).toBe(4 * m.net.countParams());
    }
    const kept = r.models.reduce((n, m) => n + m.bytes, 0);
    expect(r.bytes).toBe(kept + (TRAINING_COPIES - 1) * Math.max(...r.models.map((m) => m.bytes)));
    expect(r.models[0].sizes).toContain('model.text.lstmUnits=8');
    expect(r.models[0].sizes).toContain('model.dense=[8]');
    expect(r.warning).toBeUndefined();
    for (const m of Object.values(trained)) m.net.dispose();
  });

  it('refuses a model that does not fit, with its sizes, its parameters and the figure in GB', () => {
    // text-lstm with 8 units has a few thousand parameters: x 4 bytes x 5 copies is more than 10 kB.
    const run = () => checkModelMemory({ systems: ['text-lstm'], classes: CLASSES, input: (s) => INPUT[s], model: SMALL, limit: { bytes: 10_000, free: 10_000, source: 'a test limit' } });
    expect(run).toThrow(/^text-lstm is too big to train here: its sizes \(model\.text\.convWidths=\[3,4,5\], model\.text\.convFilters=4, model\.text\.dim=6, model\.text\.lstmUnits=8, model\.dense=\[8\]\) give at least \d+ parameters; training needs at least [0-9.e-]+ GB \(parameters x 4 bytes x 5: .*\), but the limit is 0\.00001 GB, a test limit$/);
    try { run(); } catch (e) { expect((e as { kind: string }).kind).toBe('input'); }
  });

  it('never allocates a huge model: lstmUnits 1e8 is refused with its size, counted not built', () => {
    const t0 = Date.now();
    const err = (() => {
      try {
        checkModelMemory({
          systems: ['text-lstm'], classes: CLASSES, input: (s) => INPUT[s], model: { ...SMALL, text: { ...SMALL.text, lstmUnits: 1e8 } }, limit: { bytes: 16 * GB, free: 16 * GB, source: 'test' },
        });
      } catch (e) { return e as Error & { kind: string; fix?: string }; }
      return undefined;
    })();
    expect(err?.kind).toBe('input');
    // The build stops at the LSTM's input kernel, 6 x 4e8 = 2.4e9 parameters (past 16 GB / 20 bytes):
    // 972 conv + 78 text_T + 2.4e9 = 2400001050, x 4 bytes x 5 copies = 48.0 GB.
    expect(err?.message).toMatch(/model\.text\.lstmUnits=100000000.* give at least 2\.40e9 parameters; training needs at least 48\.0 GB .* but the limit is 16\.0 GB, test$/);
    expect(err?.fix).toMatch(/^lower model\.text\.lstmUnits/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('a build that fails to allocate is refused the same way, naming the allocation', () => {
    const run = () => checkModelMemory({ systems: ['test-alloc-fails'], classes: CLASSES, input: () => ({ speech: { dim: 4 } }), model: SMALL });
    expect(run).toThrow(/^test-alloc-fails cannot be built: its sizes \(model\.dense=\[8\]\) ask for more memory than can be allocated \(Invalid typed array length: 40000000000; at least 15 parameters counted before it failed, training would need at least 3e-7 GB\)$/);
  });

  it('a build that fails otherwise is left unchecked only when the shapes were guessed', () => {
    const opts = { systems: ['test-bad-shape'], classes: CLASSES, input: () => ({ speech: { dim: 1 } }), model: SMALL };
    expect(() => checkModelMemory(opts)).toThrow(/signal of length 1/);
    expect(checkModelMemory({ ...opts, guessedShapes: true })).toMatchObject({ models: [], bytes: 0, unchecked: ['test-bad-shape'] });
  });

  it('warns, not refuses, when training fits the limit but not the memory free now', () => {
    const r = checkModelMemory({ systems: ['speech-cnn'], classes: CLASSES, input: (s) => INPUT[s], model: SMALL, limit: { bytes: 64 * GB, free: 1000, source: 'test' } });
    expect(r.warning).toMatch(/^training speech-cnn needs at least [0-9.e-]+ GB \(\d+ parameters x 4 bytes x 5\), more than the 0\.000001 GB free now of 64\.0 GB; it may swap or be killed$/);
  });

  it('reads the memory limit of the machine or its cgroup', () => {
    const l = memoryLimit();
    expect(l.bytes).toBeGreaterThan(0);
    expect(l.free).toBeLessThanOrEqual(l.bytes);
  });
});
