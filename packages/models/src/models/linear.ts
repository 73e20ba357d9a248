/**
 * The paralinguistics baseline (the ComParE challenges' own kind): an L2-penalised multinomial
 * logistic regression on the speech functionals, standardised on the training part, with C chosen
 * on the validation part. Fitted by L-BFGS (data's softmaxL2), not by gradient steps; the solution
 * is written into one dense softmax layer (the standardisation folded into its weights), so
 * prediction, saving and loading work as for every other model.
 */
import { z } from 'zod';
import { BASIC_SCORERS, EmofuseError, isSparse, posInt, type FeatureMatrix, type SparseMatrix } from '@emofuse/core';
import { registerModel, type ModelDescriptor, type ModelReads } from '../descriptor.ts';
import type { EmofuseModel } from '../model.ts';
import type { PartScores, TrainData, TrainOptions, TrainResult } from '../train.ts';

export const linearSlice = z.strictObject({
  /**
   * C values tried (sklearn's convention: the penalty is ||W||^2 / (2 C n) against the mean
   * cross-entropy); the one with the best validation UA is kept. One value = no choice.
   */
  c: z.array(z.number({ error: 'expected a number' }).positive('expected a positive number'), { error: 'expected a list of numbers, e.g. [0.01, 0.1, 1]' })
    .min(1, 'give at least one C value'),
  /** L-BFGS iterations per C value (each is one pass over the training rows). */
  maxIterations: posInt,
});
export type LinearSlice = z.infer<typeof linearSlice>;

export const LINEAR_DEFAULTS: LinearSlice = {
  // Open: the ComParE baselines sweep C over decades; 1e-4..1e1 covers the optimum on EmoDB's 6373 features.
  c: [1e-4, 1e-3, 1e-2, 1e-1, 1, 10],
  maxIterations: 300,
};

/** Gradient infinity-norm at which L-BFGS stops (the objective is strictly convex). */
const TOLERANCE = 1e-5;

/**
 * One linear model, three inputs: the speech functionals (`linear`), a text vector (`linear-text`:
 * TF-IDF rows, sentence embeddings) and both side by side (`linear-early`: early fusion by
 * concatenation). All three read `model.linear`.
 */
function linearModel(type: string, reads: ModelReads, summary: string, config?: ModelDescriptor['config']): ModelDescriptor {
  return registerModel({
    type,
    summary,
    reads,
    context: 'utterance',
    defaultEpochs: 1, // no epochs: one L-BFGS fit per C value
    ...(config ? { config } : { slices: ['linear'] }),
    // Prediction only (training runs in plain JS): one matmul + softmax, measured in tests/models/linear.test.ts.
    kernels: reads.text && reads.speech ? ['Add', 'Concat', 'Identity', 'Reshape', 'Softmax', '_FusedMatMul'] : ['Add', 'Identity', 'Reshape', 'Softmax', '_FusedMatMul'],
    build(req, t) {
      const inputs = [...(reads.text ? [t.blocks.textBranch(req.input.text, t, false).t] : []), ...(reads.speech ? [t.blocks.speechInput(req.input.speech)] : [])];
      const x = inputs.length > 1 ? t.tf.layers.concatenate({ name: 'linear_concat' }).apply(inputs) as (typeof inputs)[0] : inputs[0];
      // The weights are set by `train`; the initialiser only matters for an untrained model.
      const out = t.tf.layers.dense({ units: req.classes.length, activation: 'softmax', kernelInitializer: t.glorot(), name: 'posteriors' }).apply(x) as typeof x;
      return { inputs, output: out };
    },
    check(q) {
      return reads.text && q.textInput !== 'vector'
        ? [{ key: 'features.text.source', message: `${type} reads one text vector per utterance, but features.text.source gives word sequences`, fix: 'set features.text.source: tfidf (or file, or pkl)', related: ['systems'] }]
        : [];
    },
    train: trainLinear,
  });
}

export const linear = linearModel('linear', { speech: true },
  'L2 logistic regression on the standardised speech functionals, C chosen on validation (paralinguistics baseline)',
  { key: 'linear', schema: linearSlice, defaults: LINEAR_DEFAULTS });
export const linearText = linearModel('linear-text', { text: 'vector' },
  'L2 logistic regression on one text vector per utterance (TF-IDF, sentence embeddings), C chosen on validation');
export const linearEarly = linearModel('linear-early', { text: 'vector', speech: true },
  'L2 logistic regression on the text vector and the speech functionals side by side (early fusion), C chosen on validation');

interface Part {
  n: number;
  y: Int32Array;
  /** The dense columns, row-major (speech, a dense text vector; both side by side for linear-early). */
  x: Float32Array;
  dx: number;
  /** A sparse text vector (TF-IDF), whose columns come first in the model's input. */
  sparse?: SparseMatrix;
}

async function part(model: EmofuseModel, p: TrainData['train'], where: string): Promise<Part> {
  const { trainingLabels } = await import('../tensors.ts');
  const { pickRows } = await import('@emofuse/core');
  const ids = (p.inputs.text ?? p.inputs.speech)?.ids;
  if (!ids?.length) throw new EmofuseError('has no utterances', { where });
  const text = p.inputs.text && model.input.text ? p.inputs.text as FeatureMatrix | SparseMatrix : undefined;
  const sparse = text && isSparse(text) ? pickRows(text, ids, `${where}: text`) : undefined;
  const dense = [...(text && !sparse ? [pickRows(text as FeatureMatrix, ids, `${where}: text`)] : []), ...(model.input.speech ? [pickRows(p.inputs.speech!, ids, `${where}: speech`)] : [])];
  const dx = dense.reduce((s, m) => s + m.dim, 0);
  const x = new Float32Array(ids.length * dx);
  for (let i = 0; i < ids.length; i++) {
    let o = i * dx;
    for (const m of dense) {
      x.set(m.values.subarray(i * m.dim, (i + 1) * m.dim), o);
      o += m.dim;
    }
  }
  return { n: ids.length, x, dx, sparse, y: trainingLabels(ids, model.classes, p.labels, where) };
}

/** Column means and standard deviations (a constant column gets sd 1, so it stays 0). */
function moments(x: Float32Array, n: number, d: number): { mean: Float64Array; sd: Float64Array } {
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (x[i * d + j] - mean[j]) ** 2;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j] / n) || 1;
  return { mean, sd };
}

/** The solution in raw-input terms: z = (x - mean) / sd folded into W and b (kernel d x K). */
function folded(w: Float64Array, b: Float64Array, m: { mean: Float64Array; sd: Float64Array }, d: number, k: number) {
  const kernel = new Float32Array(d * k);
  const bias = Float64Array.from(b);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) {
      const v = w[c * d + j] / m.sd[j];
      kernel[j * k + c] = v;
      bias[c] -= v * m.mean[j];
    }
  }
  return { kernel, bias: Float32Array.from(bias) };
}

/**
 * With more features than rows (6373 functionals, ~450 training speakers' utterances) the L2
 * problem depends on the rows only through the Gram matrix Z Z^T = L L^T (the penalty is
 * rotation-invariant and the solution lies in the row space), so L-BFGS runs on the n x n factor
 * L instead of the n x d rows: the same optimum at n/d of the cost per evaluation. `primal` maps
 * the weights on L back to W = Z^T L^-T V. A tiny ridge keeps the factor defined when the rows
 * are dependent (centring alone costs one rank); its directions map to W = 0.
 */
function rowSpace(z: Float32Array, n: number, d: number) {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = i * d;
    for (let j = 0; j <= i; j++) {
      const b = j * d;
      let s = 0;
      for (let q = 0; q < d; q++) s += z[a + q] * z[b + q];
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  let trace = 0;
  for (let i = 0; i < n; i++) trace += g[i * n + i];
  const ridge = 1e-9 * (trace / n);
  // Cholesky, lower triangle in place.
  for (let j = 0; j < n; j++) {
    let s = g[j * n + j] + ridge;
    for (let q = 0; q < j; q++) s -= g[j * n + q] ** 2;
    const diag = Math.sqrt(Math.max(s, ridge));
    g[j * n + j] = diag;
    for (let i = j + 1; i < n; i++) {
      let t = g[i * n + j];
      for (let q = 0; q < j; q++) t -= g[i * n + q] * g[j * n + q];
      g[i * n + j] = t / diag;
    }
    for (let q = j + 1; q < n; q++) g[j * n + q] = 0;
  }
  const f = Float32Array.from(g);
  return {
    f,
    /** W (K x d, class-major) from the weights V (K x n) on the factor. */
    primal(v: Float64Array, k: number): Float64Array {
      const w = new Float64Array(k * d);
      const beta = new Float64Array(n);
      for (let c = 0; c < k; c++) {
        // L^T beta = v_c (back substitution)
        for (let i = n - 1; i >= 0; i--) {
          let s = v[c * n + i];
          for (let q = i + 1; q < n; q++) s -= g[q * n + i] * beta[q];
          beta[i] = s / g[i * n + i];
        }
        for (let i = 0; i < n; i++) {
          const bi = beta[i];
          if (bi === 0) continue;
          const o = i * d;
          for (let q = 0; q < d; q++) w[c * d + q] += bi * z[o + q];
        }
      }
      return w;
    },
  };
}

/** Mean cross-entropy of the folded solution on a part, and each row's true and predicted class. */
function score(p: Part, kernel: Float32Array, bias: Float32Array, k: number): PartScores {
  const z = new Float64Array(k);
  const pred = new Int32Array(p.n);
  const ds = p.sparse?.dim ?? 0;
  let loss = 0;
  for (let i = 0; i < p.n; i++) {
    for (let c = 0; c < k; c++) z[c] = bias[c];
    if (p.sparse) {
      const { indptr, indices, data } = p.sparse;
      for (let q = indptr[i]; q < indptr[i + 1]; q++) {
        const v = data[q];
        const o = indices[q] * k;
        for (let c = 0; c < k; c++) z[c] += v * kernel[o + c];
      }
    }
    for (let j = 0; j < p.dx; j++) {
      const v = p.x[i * p.dx + j];
      const o = (ds + j) * k;
      for (let c = 0; c < k; c++) z[c] += v * kernel[o + c];
    }
    let mx = -Infinity, arg = 0;
    for (let c = 0; c < k; c++) if (z[c] > mx) { mx = z[c]; arg = c; }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(z[c] - mx);
    loss += Math.log(sum) + mx - z[p.y[i]];
    pred[i] = arg;
  }
  return { loss: loss / p.n, truth: p.y, pred };
}

/**
 * The training rows as CSR for the sparse solver: the sparse text columns as they are (TF-IDF rows
 * are already L2-normalised; centring would make them dense), then the dense columns z-scored.
 */
function sparseDesign(p: Part, m: { mean: Float64Array; sd: Float64Array }) {
  const s = p.sparse!;
  const nnz = s.indptr[p.n] + p.n * p.dx;
  const indptr = new Int32Array(p.n + 1);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let q = 0;
  for (let i = 0; i < p.n; i++) {
    for (let r = s.indptr[i]; r < s.indptr[i + 1]; r++, q++) {
      indices[q] = s.indices[r];
      data[q] = s.data[r];
    }
    for (let j = 0; j < p.dx; j++, q++) {
      indices[q] = s.dim + j;
      data[q] = (p.x[i * p.dx + j] - m.mean[j]) / m.sd[j];
    }
    indptr[i + 1] = q;
  }
  return { indptr, indices, data };
}

/**
 * The convex model in the shared loop. An "epoch" is one L-BFGS fit (to convergence, in plain JS)
 * for the next C of `model.linear.c`; the loop keeps the C with the best validation UA (ties: the
 * smaller C), tries every C (no early stopping: the grid is the search) and restores its weights.
 * No Adam, batches or class weights: the solver sees all training rows at once.
 */
async function trainLinear(model: EmofuseModel, data: TrainData, options: TrainOptions): Promise<TrainResult> {
  const cfg = model.config.linear as LinearSlice;
  if (cfg.c.length > 1 && !data.valid) {
    throw new EmofuseError(`linear chooses C among ${cfg.c.length} values on the validation part, but there is none`, {
      where: 'linear', option: 'model.linear.c', fix: 'give a validation part, or a single C value, e.g. c: [0.01]',
    });
  }
  const { softmaxL2, softmaxL2Sparse } = await import('@emofuse/data/solver');
  const tf = await import('@tensorflow/tfjs');
  const { fit, trainSettings } = await import('../train.ts');
  const tr = await part(model, data.train, `${model.type}: training data`);
  const va = data.valid ? await part(model, data.valid, `${model.type}: validation data`) : undefined;
  const ds = tr.sparse?.dim ?? 0;
  const dx = tr.dx;
  const d = ds + dx;
  const k = model.classes.length;
  const m = moments(tr.x, tr.n, dx);
  // Sparse columns are not standardised: mean 0 and sd 1 fold them in unchanged.
  const mAll = ds ? { mean: Float64Array.from([...new Float64Array(ds), ...m.mean]), sd: Float64Array.from([...new Float64Array(ds).fill(1), ...m.sd]) } : m;
  const design = tr.sparse ? sparseDesign(tr, m) : undefined;
  const z = design ? new Float32Array(0) : new Float32Array(tr.x.length);
  if (!design) for (let i = 0; i < tr.n; i++) for (let j = 0; j < d; j++) z[i * d + j] = (tr.x[i * d + j] - m.mean[j]) / m.sd[j];
  const basis = !design && d > tr.n ? rowSpace(z, tr.n, d) : undefined;

  let w: ReturnType<typeof folded> | undefined;
  const solve = (c: number) => {
    const l2 = 1 / (c * tr.n);
    if (design) {
      const f = softmaxL2Sparse(design, tr.n, d, tr.y, k, l2, cfg.maxIterations, TOLERANCE);
      return folded(f.w, f.b, mAll, d, k);
    }
    if (basis) {
      const f = softmaxL2(basis.f, tr.n, tr.n, tr.y, k, l2, cfg.maxIterations, TOLERANCE);
      return folded(basis.primal(f.w, k), f.b, m, d, k);
    }
    const f = softmaxL2(z, tr.n, d, tr.y, k, l2, cfg.maxIterations, TOLERANCE);
    return folded(f.w, f.b, m, d, k);
  };
  const grid = {
    classWeights: null,
    async epoch({ epoch }: { epoch: number }) {
      w = solve(cfg.c[epoch - 1]);
      // into the dense layer, where the loop saves and restores the best epoch's weights
      const kernel = tf.tensor2d(w.kernel, [d, k]);
      const bias = tf.tensor1d(w.bias);
      model.net.getLayer('posteriors').setWeights([kernel, bias]);
      kernel.dispose();
      bias.dispose();
      const s = score(tr, w.kernel, w.bias, k);
      return { loss: s.loss, acc: BASIC_SCORERS.wa(s.truth, s.pred, k) };
    },
    validate: va && (() => score(va, w!.kernel, w!.bias, k)),
    dispose() {},
  };
  const settings = { ...trainSettings(model.type, options), epochs: cfg.c.length, patience: cfg.c.length, monitor: 'valid_ua' as const, classWeights: 'none' as const };
  return fit(model, grid, settings, options);
}
