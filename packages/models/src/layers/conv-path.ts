import * as tf from '@tensorflow/tfjs';

/**
 * Which convolution and pooling path the conv layers take. On the wasm backend, which has no
 * Conv2DBackpropFilter / MaxPoolGrad kernels, convolution runs as im2col + matMul and max-pooling
 * as reshape + max, whose gradients wasm has; on the other backends the native ops run.
 */

/** Backends whose native conv/pool kernels have gradients. */
function nativeConv(): boolean {
  const b = tf.getBackend();
  return b === 'tensorflow' || b === 'cpu' || b === 'webgl';
}

let forceIm2col = false;
/** Benchmarks and tests: run the im2col path on every backend (null = choose by backend). */
export function setConvImplementation(impl: 'native' | 'im2col' | null): void {
  forceIm2col = impl === 'im2col';
}

/** Whether the conv and pool layers take the native ops here (else im2col / reshape + max). */
export function useNativeConv(): boolean {
  return nativeConv() && !forceIm2col;
}
