import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmofuseConv1D, EmofuseLSTM, EmofuseMaxPool1D, FlatAdam, selectBackend, setConvImplementation } from '../src/index.ts';


beforeAll(async () => { await selectBackend('auto'); });

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
