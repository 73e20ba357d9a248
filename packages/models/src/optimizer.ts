import * as tf from '@tensorflow/tfjs';
import { attr, fastPath, native } from './tensors.ts';

export interface Optimizer {
  /** Evaluates `loss`, takes one Adam step on every variable, returns the loss (caller disposes). */
  minimize(loss: () => tf.Scalar): tf.Scalar;
  dispose(): void;
}

/**
 * Adam with the update of tf.train.adam (same formula, beta1 0.9, beta2 0.999, epsilon 1e-7),
 * run on one flat buffer holding every trainable variable's moments. tf.train.adam issues ~17
 * small ops per variable per step; on tfjs-node each op costs a JS -> native round trip, which
 * for the paper's CNN was half of all ops in a training step. Flat: ~12 ops plus 3 per variable.
 */
export class FlatAdam implements Optimizer {
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  private readonly sizes: number[];
  private t = 0;

  constructor(
    private readonly vars: tf.Variable[],
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-7,
  ) {
    this.sizes = vars.map((w) => w.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    const zeros = tf.zeros([total]);
    this.m = tf.variable(zeros, false);
    this.v = tf.variable(zeros, false);
    zeros.dispose();
  }

  /** Evaluates `loss`, takes one Adam step on every variable, returns the loss (caller disposes). */
  minimize(loss: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, this.vars);
    this.t += 1;
    tf.tidy(() => {
      const g = tf.concat(this.vars.map((w) => tf.reshape(grads[w.name] ?? tf.zerosLike(w), [-1])));
      const m = tf.add(tf.mul(this.m, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(this.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      this.m.assign(m);
      this.v.assign(v);
      const stepSize = this.lr / (1 - this.beta1 ** this.t);
      const step = tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(tf.mul(v, 1 / (1 - this.beta2 ** this.t))), this.epsilon));
      const parts = this.vars.length === 1 ? [step] : tf.split(step, this.sizes);
      this.vars.forEach((w, i) => w.assign(tf.sub(w, tf.reshape(parts[i], w.shape))));
    });
    tf.dispose(grads);
    return value;
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}

let handles = 0;

/**
 * The same Adam step as FlatAdam, as TensorFlow's fused ResourceApplyAdam kernel (one pass over
 * each variable, sharded over the cores; Keras' Adam does the same passes in its compiled graph)
 * on tfjs-node. The weights, m and v live in TF resource variables; after each step the tfjs
 * variable is pointed at the new value (ReadVariableOp aliases it) and let go of it just before
 * the next update (else TF copies the buffer first), so a step is 2 ops a variable
 * instead of FlatAdam's ~12 element-wise passes plus concat/split. TF's kernel puts epsilon on
 * sqrt(v) before bias correction; passing epsilon * sqrt(1 - beta2^t) makes it tf.train.adam's
 * (and FlatAdam's) update exactly, up to float rounding.
 */
export class NativeAdam implements Optimizer {
  private readonly res: { w: tf.Tensor; m: tf.Tensor; v: tf.Tensor }[];
  /** The tfjs value each variable had after our last step: anything else was written from outside. */
  private readonly seen: object[];
  private t = 0;

  constructor(
    private readonly vars: tf.Variable[],
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-7,
  ) {
    this.res = vars.map((w) => {
      const make = (init: tf.Tensor) => {
        const h = tf.keep(native('VarHandleOp', [
          attr.string('container', ''), attr.string('shared_name', `emofuse_adam_${process.pid}_${++handles}`),
          attr.type('dtype', 'float32'), attr.shape('shape', w.shape),
        ], [])[0]);
        native('AssignVariableOp', [attr.type('dtype', 'float32')], [h, init], 0);
        return h;
      };
      const zeros = tf.zerosLike(w);
      const r = { w: make(w), m: make(zeros), v: make(zeros) };
      zeros.dispose();
      return r;
    });
    this.seen = vars.map((w) => w.dataId);
  }

  minimize(loss: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, this.vars);
    this.t += 1;
    const f = attr.type('T', 'float32');
    tf.tidy(() => {
      const s = (x: number) => tf.scalar(x, 'float32');
      const b1t = s(this.beta1 ** this.t);
      const b2t = s(this.beta2 ** this.t);
      const lr = s(this.lr);
      const b1 = s(this.beta1);
      const b2 = s(this.beta2);
      const eps = s(this.epsilon * Math.sqrt(1 - this.beta2 ** this.t));
      this.vars.forEach((w, i) => {
        const r = this.res[i];
        // a value set from outside (setWeights, a restore) since our last step: take it over
        if (this.seen[i] !== w.dataId) native('AssignVariableOp', [attr.type('dtype', 'float32')], [r.w, w], 0);
        const g = grads[w.name] ?? tf.zerosLike(w);
        // Let go of the tfjs variable's alias of the weight buffer first, so TF updates it in
        // place instead of copying it (copy-on-write); nothing reads w until the assign below.
        w.assign(g);
        native('ResourceApplyAdam', [f, attr.bool('use_locking', false), attr.bool('use_nesterov', false)],
          [r.w, r.m, r.v, b1t, b2t, lr, b1, b2, eps, g], 0);
        const next = native('ReadVariableOp', [attr.type('dtype', 'float32')], [r.w])[0];
        w.assign(next);
        this.seen[i] = w.dataId;
      });
    });
    tf.dispose(grads);
    return value;
  }

  dispose(): void {
    for (const r of this.res) {
      for (const h of [r.w, r.m, r.v]) {
        native('DestroyResourceOp', [attr.bool('ignore_lookup_error', true)], [h], 0);
        h.dispose();
      }
    }
  }
}

/** Adam for `vars`: the native fused kernel on tfjs-node (fast path 'adam'), else FlatAdam. */
export function makeAdam(vars: tf.Variable[], lr: number): Optimizer {
  return fastPath('adam') ? new NativeAdam(vars, lr) : new FlatAdam(vars, lr);
}
