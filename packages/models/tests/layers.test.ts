import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmofuseConv1D, EmofuseLSTM, EmofuseMaxPool1D, FlatAdam, selectBackend, setConvImplementation, setFastPaths, type FastPath } from '../src/index.ts';
import { EmofuseDense } from '../src/layers/index.ts';
import { createFusedLoss, crossEntropyFromLogits, releaseLogits } from '../src/fused-loss.ts';
import { biasAdd, gradientPatchesInstalled, inputGradAsConv, installGradientPatches, slowInputGrad } from '../src/native.ts';
import { NativeAdam, type Optimizer } from '../src/optimizer.ts';


let backend = '';
beforeAll(async () => { backend = (await selectBackend('auto')).name; });

const close = (a: tf.Tensor, b: tf.Tensor, tol = 1e-5) => {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  expect(d).toBeLessThan(tol);
};

describe('custom layers', () => {
  it('EmofuseConv1D: im2col and native paths equal tf.layers.conv1d (valid and same padding)', () => {
    const x = tf.randomNormal([3, 11, 4], 0, 1, 'float32', 1);
    for (const [padding, k] of [['valid', 5], ['same', 4], ['same', 3]] as const) {
      const ref = tf.layers.conv1d({ filters: 6, kernelSize: k, padding, activation: 'relu' });
      const want = ref.apply(x) as tf.Tensor;
      const ours = new EmofuseConv1D({ filters: 6, kernelSize: k, padding });
      ours.apply(x);
      ours.setWeights(ref.getWeights());
      for (const impl of ['native', 'im2col'] as const) {
        setConvImplementation(impl);
        close(ours.apply(x) as tf.Tensor, want);
      }
      setConvImplementation(null);
    }
  });

  it('EmofuseMaxPool1D equals tf.layers.maxPooling1d, odd lengths included', () => {
    for (const len of [10, 11]) {
      const x = tf.randomNormal([2, len, 3], 0, 1, 'float32', 2);
      const want = tf.layers.maxPooling1d({ poolSize: 2 }).apply(x) as tf.Tensor;
      for (const impl of ['native', 'im2col'] as const) {
        setConvImplementation(impl);
        const got = new EmofuseMaxPool1D({ poolSize: 2 }).apply(x) as tf.Tensor;
        expect(got.shape).toEqual(want.shape);
        close(got, want);
      }
      setConvImplementation(null);
    }
  });

  it('EmofuseLSTM computes what tf.layers.lstm (sigmoid gates) computes, masks included', () => {
    const u = 5;
    const x = tf.randomNormal([4, 6, 3], 0, 1, 'float32', 3);
    const ref = tf.layers.lstm({ units: u, recurrentActivation: 'sigmoid', unitForgetBias: true });
    const ours = new EmofuseLSTM({ units: u, seed: 9 });
    ours.apply(x);
    const [kernel, rec, bias] = ours.getWeights();
    // ours: i, f, o, g; tfjs/Keras: i, f, g, o
    const reorder = (t: tf.Tensor) => {
      const [i, f, o, g] = tf.split(t, 4, -1);
      return tf.concat([i, f, g, o], -1);
    };
    ref.apply(x);
    ref.setWeights([reorder(kernel), reorder(rec), reorder(bias)]);
    close(ours.apply(x) as tf.Tensor, ref.apply(x) as tf.Tensor);
    // padded steps: the state is carried over them
    const lengths = [6, 3, 1, 4];
    const mask = tf.tensor2d(lengths.flatMap((n) => Array.from({ length: 6 }, (_, t) => (t < n ? 1 : 0))), [4, 6]);
    const got = ours.call(x, { mask }) as tf.Tensor;
    const want = ref.call(x, { mask: tf.cast(mask, 'bool') }) as tf.Tensor;
    close(got, want);
    // and equals running only the real steps
    const short = tf.slice(x, [1, 0, 0], [1, 3, 3]);
    close(tf.slice(got, [1, 0], [1, u]), ours.apply(short) as tf.Tensor);
  });

  /** f's value and its gradients with only fast path `p` on, and with every fast path off. */
  const withAndWithout = (p: FastPath, f: () => tf.Tensor[]) => {
    try {
      setFastPaths([p]);
      const fast = f();
      setFastPaths([]);
      return { fast, plain: f() };
    } finally {
      setFastPaths('all');
    }
  };

  it('EmofuseDense on the native path: tf.layers.dense\'s outputs and gradients, for each activation, 2-D and 3-D inputs', (ctx) => {
    if (backend !== 'tensorflow') ctx.skip();
    // 1024 x 512 weights: the input gradient as (W dz^T)^T
    const cases: ['relu' | 'tanh' | 'softmax' | 'linear', number[][], number][] = [
      ...(['relu', 'tanh', 'softmax', 'linear'] as const).map((a): ['relu' | 'tanh' | 'softmax' | 'linear', number[][], number] => [a, [[7, 5], [3, 4, 5]], 6]),
      ['relu', [[2, 1024]], 512],
    ];
    for (const [activation, shapes, units] of cases) {
      for (const shape of shapes) {
        const x = tf.randomNormal(shape, 0, 1, 'float32', 11);
        const layer = new EmofuseDense({ units, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), name: `d_${activation}_${shape.length}` });
        layer.apply(x);
        layer.setWeights([layer.getWeights()[0], tf.randomNormal([units], 0, 0.5, 'float32', 4)]);
        const ref = tf.layers.dense({ units, activation });
        ref.apply(x);
        ref.setWeights(layer.getWeights());
        const dy = tf.randomNormal([...shape.slice(0, -1), units], 0, 1, 'float32', 5);
        const run = (l: tf.layers.Layer) => () => {
          const [k, b] = l.trainableWeights.map((w) => w.read());
          const g = tf.grads((xi: tf.Tensor, _k: tf.Tensor, _b: tf.Tensor) => tf.sum(tf.mul(l.apply(xi) as tf.Tensor, dy)));
          return [l.apply(x) as tf.Tensor, ...g([x, k, b])];
        };
        const { fast, plain } = withAndWithout('dense', run(layer));
        const want = run(ref)();
        [...fast, ...plain].forEach((t, i) => close(t, want[i % want.length], 1e-5));
        expect(fast[0].shape).toEqual([...shape.slice(0, -1), units]);
      }
    }
  });

  it('EmofuseLSTM on the native path (BlockLSTMV2 forward; backward per step or as BlockLSTMGradV2): the plain loop\'s gradients, masked and length 1', (ctx) => {
    if (backend !== 'tensorflow') ctx.skip();
    // 30 steps: lstmBackward; 7 and 1: BlockLSTMGradV2
    for (const [b, steps, d, lengths] of [[2, 30, 3, [30, 12]], [4, 7, 3, [7, 3, 1, 5]], [3, 1, 4, [1, 1, 1]]] as const) {
      const lstm = new EmofuseLSTM({ units: 5, seed: 2 });
      const x = tf.randomNormal([b, steps, d], 0, 1, 'float32', 8);
      lstm.apply(x);
      lstm.setWeights([...lstm.getWeights().slice(0, 2), tf.randomNormal([20], 0, 0.5, 'float32', 6)]);
      const mask = tf.tensor2d(lengths.flatMap((n) => Array.from({ length: steps }, (_, t) => (t < n ? 1 : 0))), [b, steps]);
      const dy = tf.randomNormal([b, 5], 0, 1, 'float32', 9);
      const xv = tf.variable(x);
      const vars = [xv, ...lstm.trainableWeights.map((w) => w.read() as tf.Variable)];
      const { fast, plain } = withAndWithout('lstm', () => {
        // a length-1 sequence never reads the recurrent kernel: variableGrads leaves it out
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(lstm.call(xv, { mask }) as tf.Tensor, dy)) as tf.Scalar, vars);
        return [value, ...vars.map((v) => grads[v.name] ?? tf.zerosLike(v))];
      });
      expect(fast.length).toBe(5);
      fast.forEach((t, i) => close(t, plain[i], 1e-5));
      // the gradients are not zero everywhere (a vacuous comparison would pass too)
      for (const i of [1, 2, 4]) expect(tf.tidy(() => tf.max(tf.abs(fast[i])).dataSync()[0])).toBeGreaterThan(1e-3);
      if (steps > 1) expect(tf.tidy(() => tf.max(tf.abs(fast[3])).dataSync()[0])).toBeGreaterThan(1e-3);
      xv.dispose();
    }
  });

  it('a conv\'s input gradient as a conv of the padded gradient (fast path convgrad) equals Conv2DBackpropInput, valid and same, odd and even widths', () => {
    for (const pad of ['valid', 'same'] as const) {
      for (const k of [1, 3, 4, 5]) {
        const x = tf.randomNormal([3, 1, 11, 6], 0, 1, 'float32', k);
        const w = tf.randomNormal([1, k, 6, 7], 0, 1, 'float32', k + 1);
        const dy = tf.randomNormal((tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, pad)).shape, 0, 1, 'float32', 2);
        setFastPaths([]);
        try {
          const want = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, w as tf.Tensor4D, 1, pad), dy)))(x);
          const got = inputGradAsConv(dy as tf.Tensor4D, w as tf.Tensor4D, pad);
          expect(got.shape).toEqual(x.shape);
          close(got, want, 1e-4);
        } finally {
          setFastPaths('all');
        }
      }
    }
    // where TensorFlow switches to its per-image branch: joint-cnn's second conv (94 steps) at 2 threads, not speech-cnn's (44)
    const at = (steps: number, threads: number) => {
      const old = process.env.TF_NUM_INTRAOP_THREADS;
      process.env.TF_NUM_INTRAOP_THREADS = String(threads);
      try {
        return slowInputGrad(tf.zeros([32, 1, steps + 4, 128]) as tf.Tensor4D, tf.zeros([1, 5, 128, 128]) as tf.Tensor4D, tf.zeros([32, 1, steps, 128]) as tf.Tensor4D,
          { strides: [1, 1], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC' });
      } finally {
        if (old === undefined) delete process.env.TF_NUM_INTRAOP_THREADS; else process.env.TF_NUM_INTRAOP_THREADS = old;
      }
    };
    expect([at(94, 2), at(44, 2), at(94, 4)]).toEqual([true, false, false]);
  });

  it('the fused cross-entropy (fast path loss) gives the clipped-log loss and its gradients, weighted and not; eval outputs keep the plain path', (ctx) => {
    if (backend !== 'tensorflow') ctx.skip();
    const x = tf.randomNormal([7, 5], 0, 1, 'float32', 3);
    const y = tf.tensor1d([0, 2, 1, 3, 3, 0, 2], 'int32');
    const layer = new EmofuseDense({ units: 4, activation: 'softmax', kernelInitializer: 'glorotUniform' });
    layer.apply(x);
    const [w, b] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    const plainLoss = (probs: tf.Tensor, weights: tf.Tensor1D | null) => {
      const perRow = tf.neg(tf.sum(tf.mul(tf.oneHot(y, 4), tf.log(tf.clipByValue(probs, 1e-7, 1 - 1e-7))), -1));
      return tf.mean(weights ? tf.mul(perRow, tf.gather(weights, y)) : perRow) as tf.Scalar;
    };
    for (const weights of [null, tf.tensor1d([0.5, 2, 1, 3])]) {
      let fusedTaken = false;
      const fused = tf.variableGrads(() => {
        const probs = layer.apply(x, { training: true }) as tf.Tensor;
        const l = crossEntropyFromLogits(probs, y, 4, weights);
        fusedTaken = l !== null;
        return l ?? plainLoss(probs, weights);
      }, [w, b]);
      releaseLogits();
      expect(fusedTaken).toBe(true);
      setFastPaths([]);
      try {
        const plain = tf.variableGrads(() => plainLoss(layer.apply(x, { training: true }) as tf.Tensor, weights), [w, b]);
        expect(Math.abs(fused.value.dataSync()[0] - plain.value.dataSync()[0])).toBeLessThan(1e-6);
        for (const v of [w, b]) close(fused.grads[v.name], plain.grads[v.name], 1e-6);
      } finally {
        setFastPaths('all');
      }
    }
    // outside training there are no held logits: the caller takes the plain path
    expect(crossEntropyFromLogits(layer.apply(x) as tf.Tensor, y, 4, null)).toBeNull();
  });

  it('a FusedLoss holds one pair of its own: a second holder never sees it, release disposes the logits', () => {
    const [a, b] = [createFusedLoss(), createFusedLoss()];
    const probs = tf.tensor2d([[0.5, 0.5]]);
    const z = tf.tensor2d([[0, 0]]);
    const y = tf.tensor1d([0], 'int32');
    a.hold(probs, z);
    expect(b.crossEntropy(probs, y, 2, null)).toBeNull();
    expect(a.crossEntropy(tf.tensor2d([[0.5, 0.5]]), y, 2, null)).toBeNull(); // not the held output
    const other = tf.tensor2d([[0.5, 0.5]]);
    a.hold(other, tf.tensor2d([[1, 1]])); // a new pair releases the first
    expect(a.crossEntropy(probs, y, 2, null)).toBeNull();
    a.release();
    expect(a.crossEntropy(other, y, 2, null)).toBeNull();
  });

  it('selectBackend installed the gradient patches; installing again changes nothing', () => {
    expect(gradientPatchesInstalled()).toBe(true);
    const relu = tf.getGradient('Relu');
    installGradientPatches();
    expect(tf.getGradient('Relu')).toBe(relu);
  });

  it('biasAdd (fast path bias: BiasAdd, its gradient BiasAddGrad) gives tf.add\'s values and gradients', (ctx) => {
    if (backend !== 'tensorflow') ctx.skip();
    const x = tf.randomNormal([4, 9, 6], 0, 1, 'float32', 11);
    const b = tf.randomNormal([6], 0, 1, 'float32', 12);
    const dy = tf.randomNormal([4, 9, 6], 0, 1, 'float32', 13);
    const f = (add: (a: tf.Tensor, c: tf.Tensor) => tf.Tensor) => tf.grads((xi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(add(xi, bi), dy)))([x, b]);
    const fast = f(biasAdd);
    const plain = f(tf.add);
    expect(Array.from(biasAdd(x, b).dataSync())).toEqual(Array.from(tf.add(x, b).dataSync()));
    expect(Array.from(fast[0].dataSync())).toEqual(Array.from(plain[0].dataSync()));
    close(fast[1], plain[1], 1e-5);
  });

  it('Reshape and ExpandDims with cached shape handles (fast path shapes) give the plain kernels\' tensors and gradients, and make no shape tensor per call', (ctx) => {
    if (backend !== 'tensorflow') ctx.skip();
    // count the binding's tensor creations (its object is frozen: the backend gets a stand-in)
    const be = tf.backend() as unknown as { binding: Record<string, (...a: unknown[]) => unknown> };
    const binding = be.binding;
    let created = 0;
    const counting = Object.create(binding) as typeof binding;
    Object.defineProperty(counting, 'createTensor', { value: (...a: unknown[]) => { created++; return binding.createTensor(...a); } });
    const x = tf.randomNormal([4, 6, 5], 0, 1, 'float32', 21);
    const xi = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const dy = tf.randomNormal([4, 1, 6, 5], 0, 1, 'float32', 22);
    const run = () => tf.tidy(() => {
      const y = [tf.reshape(x, [4, 30]), tf.reshape(x, [-1, 5]), tf.expandDims(x, 1), tf.expandDims(x, -1), tf.reshape(xi, [3, 2]), tf.expandDims(xi, 0)];
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.reshape(tf.expandDims(a, 1), [4, 1, 6, 5]), dy)))(x);
      return [...y, g].map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) }));
    });
    const counted = (f: () => unknown) => {
      be.binding = counting;
      created = 0;
      try { f(); } finally { be.binding = binding; }
      return created;
    };
    try {
      setFastPaths([]);
      const plain = run();
      const plainCreated = counted(run);
      setFastPaths(['shapes']);
      run(); // fills the cache
      expect(run()).toEqual(plain);
      const before = tf.memory().numTensors;
      const fastCreated = counted(run);
      expect(tf.memory().numTensors).toBe(before);
      // the plain kernels make one shape / axis tensor per call (9 here); the cached ones none
      expect(plainCreated - fastCreated).toBeGreaterThanOrEqual(9);
    } finally {
      setFastPaths('all');
    }
  });

  it('NativeAdam (ResourceApplyAdam, weights updated in place) takes FlatAdam\'s steps; a copy of a weight is never changed; a weight set from outside is taken over', (ctx) => {
    if (backend !== 'tensorflow') ctx.skip();
    const init = [tf.randomNormal([6, 4], 0, 1, 'float32', 14), tf.randomNormal([4], 0, 1, 'float32', 15)];
    const x = tf.randomNormal([10, 6], 0, 1, 'float32', 16);
    const run = (make: (vars: tf.Variable[]) => Optimizer) => {
      const vars = init.map((t) => tf.variable(t.clone()));
      const opt = make(vars);
      const loss = () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, vars[0]), vars[1]), 0.5))) as tf.Scalar;
      let snapshot: { copy: tf.Tensor; values: Float32Array } | undefined;
      for (let i = 0; i < 200; i++) {
        if (i === 50) {
          const copy = vars[0].clone(); // as train() keeps the best epoch's weights
          snapshot = { copy, values: copy.dataSync() as Float32Array };
        }
        if (i === 100) vars[1].assign(tf.fill([4], 0.25)); // as setWeights does
        tf.dispose(opt.minimize(loss));
      }
      expect(Array.from(snapshot!.copy.dataSync())).toEqual(Array.from(snapshot!.values));
      opt.dispose();
      return vars;
    };
    const native = run((vars) => new NativeAdam(vars, 0.01));
    const flat = run((vars) => new FlatAdam(vars, 0.01));
    native.forEach((v, i) => close(v, flat[i], 1e-5));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(native[0], init[0]))).dataSync()[0])).toBeGreaterThan(0.1);
  });

  it('FlatAdam takes the same steps as tf.train.adam', () => {
    const init = [tf.randomNormal([4, 3], 0, 1, 'float32', 4), tf.randomNormal([3], 0, 1, 'float32', 5)];
    const x = tf.randomNormal([8, 4], 0, 1, 'float32', 6);
    const run = (step: (vars: tf.Variable[], loss: () => tf.Scalar) => void) => {
      const vars = init.map((t) => tf.variable(t.clone()));
      const loss = () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, vars[0]), vars[1]), 1))) as tf.Scalar;
      for (let i = 0; i < 5; i++) step(vars, loss);
      return vars;
    };
    const adam = tf.train.adam(0.01);
    const a = run((vars, loss) => { tf.dispose(adam.minimize(loss, true, vars) ?? []); });
    let flat: FlatAdam | undefined;
    const b = run((vars, loss) => { flat ??= new FlatAdam(vars, 0.01); tf.dispose(flat.minimize(loss)); });
    a.forEach((v, i) => close(v, b[i], 1e-6));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a[0], init[0]))).dataSync()[0])).toBeGreaterThan(0.01);
  });
});
