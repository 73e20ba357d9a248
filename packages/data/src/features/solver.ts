/**
 * The convex solvers behind the L2 feature ranking and the `linear` models: multinomial logistic
 * regression with an L2 penalty, on dense rows or on sparse (CSR) rows, by one L-BFGS.
 */
import type { SparseMatrix } from '@emofuse/core';

export interface SolverResult { w: Float64Array; b: Float64Array; iterations: number; evaluations: number; loss: number }

/**
 * The mean cross-entropy `dataLoss` (which fills the gradient) plus (l2 / 2) ||W||^2 on the
 * weights (not the K biases), minimised by L-BFGS; both solvers share it.
 */
function fitPenalised(d: number, K: number, dataLoss: (theta: Float64Array, grad: Float64Array) => number, l2: number, maxIterations: number, tolerance: number): SolverResult {
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    const loss = dataLoss(theta, grad);
    let pen = 0;
    for (let p = 0; p < d * K; p++) {
      pen += theta[p] * theta[p];
      grad[p] += l2 * theta[p];
    }
    return loss + (l2 / 2) * pen;
  };
  const r = lbfgs(d * K + K, evaluate, maxIterations, tolerance);
  return { w: r.theta.slice(0, d * K), b: r.theta.slice(d * K), iterations: r.iterations, evaluations: r.evaluations, loss: r.loss };
}

/**
 * Multinomial logistic regression with an L2 penalty, by L-BFGS (memory 10, backtracking Armijo
 * line search). Parameters: W (K x d, class-major) then the K biases.
 */
export function softmaxL2(
  x: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  K: number,
  l2: number,
  maxIterations: number,
  tolerance: number,
): SolverResult {
  // Weights are stored class-major (K rows of d). Rows are processed four at a time so each weight
  // and gradient element is loaded once per four rows (register blocking: ~1.8x faster in V8).
  const Z = new Float64Array(4 * K);
  const R = new Float64Array(4 * K);
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const bOff = d * K;
    for (let i = 0; i < n; i += 4) {
      const rows = Math.min(4, n - i);
      // Past the last row, the block repeats row i with a zero residual (no effect on loss or gradient).
      const o0 = i * d;
      const o1 = (rows > 1 ? i + 1 : i) * d;
      const o2 = (rows > 2 ? i + 2 : i) * d;
      const o3 = (rows > 3 ? i + 3 : i) * d;
      for (let k = 0; k < K; k++) {
        const wo = k * d;
        let a = 0, b = 0, c = 0, e = 0;
        for (let j = 0; j < d; j++) {
          const w = theta[wo + j];
          a += x[o0 + j] * w;
          b += x[o1 + j] * w;
          c += x[o2 + j] * w;
          e += x[o3 + j] * w;
        }
        const bias = theta[bOff + k];
        Z[k] = a + bias;
        Z[K + k] = b + bias;
        Z[2 * K + k] = c + bias;
        Z[3 * K + k] = e + bias;
      }
      for (let r = 0; r < 4; r++) {
        const off = r * K;
        if (r >= rows) {
          for (let k = 0; k < K; k++) R[off + k] = 0;
          continue;
        }
        let mx = -Infinity;
        for (let k = 0; k < K; k++) if (Z[off + k] > mx) mx = Z[off + k];
        let sum = 0;
        for (let k = 0; k < K; k++) {
          R[off + k] = Math.exp(Z[off + k] - mx);
          sum += R[off + k];
        }
        const yi = y[i + r];
        loss += Math.log(sum) + mx - Z[off + yi];
        for (let k = 0; k < K; k++) R[off + k] = R[off + k] / sum / n;
        R[off + yi] -= 1 / n;
      }
      for (let k = 0; k < K; k++) {
        const wo = k * d;
        const r0 = R[k], r1 = R[K + k], r2 = R[2 * K + k], r3 = R[3 * K + k];
        for (let j = 0; j < d; j++) grad[wo + j] += r0 * x[o0 + j] + r1 * x[o1 + j] + r2 * x[o2 + j] + r3 * x[o3 + j];
        grad[bOff + k] += r0 + r1 + r2 + r3;
      }
    }
    return loss / n;
  };
  return fitPenalised(d, K, evaluate, l2, maxIterations, tolerance);
}

/**
 * L-BFGS (memory 10, backtracking Armijo line search) from theta = 0 on a smooth objective
 * `evaluate(theta, grad)` that returns the loss and writes the gradient.
 */
export function lbfgs(
  P: number,
  evaluateOnce: (theta: Float64Array, grad: Float64Array) => number,
  maxIterations: number,
  tolerance: number,
): { theta: Float64Array; iterations: number; evaluations: number; loss: number } {
  let evaluations = 0;
  const evaluate = (theta: Float64Array, grad: Float64Array) => {
    evaluations++;
    return evaluateOnce(theta, grad);
  };
  const M = 10;
  const theta = new Float64Array(P);
  const grad = new Float64Array(P);
  let f = evaluate(theta, grad);
  const S: Float64Array[] = [];
  const Yv: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(P);
  const next = new Float64Array(P);
  const gNext = new Float64Array(P);
  const alpha = new Float64Array(M);
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let p = 0; p < P; p++) s += a[p] * b[p];
    return s;
  };
  const infNorm = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let it = 0;
  for (; it < maxIterations && infNorm(grad) > tolerance; it++) {
    // Two-loop recursion: dir = -H * grad.
    for (let p = 0; p < P; p++) dir[p] = -grad[p];
    for (let m = S.length - 1; m >= 0; m--) {
      alpha[m] = rho[m] * dot(S[m], dir);
      for (let p = 0; p < P; p++) dir[p] -= alpha[m] * Yv[m][p];
    }
    const gamma = S.length ? dot(S.at(-1)!, Yv.at(-1)!) / dot(Yv.at(-1)!, Yv.at(-1)!) : 1 / Math.max(1, Math.sqrt(dot(grad, grad)));
    for (let p = 0; p < P; p++) dir[p] *= gamma;
    for (let m = 0; m < S.length; m++) {
      const beta = rho[m] * dot(Yv[m], dir);
      for (let p = 0; p < P; p++) dir[p] += S[m][p] * (alpha[m] - beta);
    }
    let slope = dot(grad, dir);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = Yv.length = rho.length = 0;
      for (let p = 0; p < P; p++) dir[p] = -grad[p];
      slope = dot(grad, dir);
    }
    let step = 1;
    let fNext = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let p = 0; p < P; p++) next[p] = theta[p] + step * dir[p];
      fNext = evaluate(next, gNext);
      if (fNext <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(fNext < f)) break; // no progress possible at this precision
    const s = new Float64Array(P);
    const yy = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      s[p] = next[p] - theta[p];
      yy[p] = gNext[p] - grad[p];
    }
    const sy = dot(s, yy);
    if (sy > 1e-12) {
      if (S.length === M) {
        S.shift();
        Yv.shift();
        rho.shift();
      }
      S.push(s);
      Yv.push(yy);
      rho.push(1 / sy);
    }
    theta.set(next);
    grad.set(gNext);
    const rel = (f - fNext) / Math.max(Math.abs(f), Math.abs(fNext), 1);
    f = fNext;
    if (rel < 1e-10) {
      it++;
      break;
    }
  }
  return { theta, iterations: it, evaluations, loss: f };
}


/**
 * The same objective on CSR rows (n x d, `indptr`/`indices`/`data`): the cost of an evaluation is
 * O(nnz * K), not O(n * d * K), which is what makes 20k-column TF-IDF rows cheap.
 */
export function softmaxL2Sparse(
  x: Pick<SparseMatrix, 'indptr' | 'indices' | 'data'>,
  n: number,
  d: number,
  y: Int32Array,
  K: number,
  l2: number,
  maxIterations: number,
  tolerance: number,
): SolverResult {
  const { indptr, indices, data } = x;
  const Z = new Float64Array(K);
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const bOff = d * K;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) Z[k] = theta[bOff + k];
      for (let p = indptr[i]; p < indptr[i + 1]; p++) {
        const v = data[p];
        const o = indices[p];
        for (let k = 0; k < K; k++) Z[k] += v * theta[k * d + o];
      }
      let mx = -Infinity;
      for (let k = 0; k < K; k++) if (Z[k] > mx) mx = Z[k];
      const yi = y[i];
      const zy = Z[yi];
      let sum = 0;
      for (let k = 0; k < K; k++) { Z[k] = Math.exp(Z[k] - mx); sum += Z[k]; }
      loss += Math.log(sum) + mx - zy;
      for (let k = 0; k < K; k++) {
        const r = (Z[k] / sum - (k === yi ? 1 : 0)) / n;
        grad[bOff + k] += r;
        for (let p = indptr[i]; p < indptr[i + 1]; p++) grad[k * d + indices[p]] += r * data[p];
      }
    }
    return loss / n;
  };
  return fitPenalised(d, K, evaluate, l2, maxIterations, tolerance);
}
