import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EmofuseError } from '@emofuse/core';
import { modelDescriptor, modelTypes } from './descriptor.ts';
import { installGradientPatches } from './native.ts';
import { attr, fastPath, int32Handle, native } from './tensors.ts';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendChoice {
  name: BackendName;
  /** Why this one ran (and why better ones did not), for the run record. */
  reason: string;
}

let tfjsNode: Promise<boolean> | undefined;

/**
 * tfjs-node from the user's own project: `emofuse setup backend` builds it in the current folder's
 * node_modules, which an installed emofuse (npm install -g) does not search. tfjs keeps its engine
 * and kernel registry in one global, so a second copy of tfjs there registers into the same one.
 */
function requireFromCwd(): boolean {
  // That second copy re-registers every kernel of cpu and webgl: one warning each (hundreds), harmless.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!/already registered|Platform node has already been set/.test(String(args[0]))) warn(...args);
  };
  try {
    createRequire(path.join(process.cwd(), 'package.json'))('@tensorflow/tfjs-node');
  } finally {
    console.warn = warn;
  }
  return true;
}

/** Loads tfjs-node once; false (never a crash) when it is missing or its native library fails. */
async function loadTfjsNode(): Promise<{ ok: boolean; error?: string }> {
  let error: string | undefined;
  tfjsNode ??= import('@tensorflow/tfjs-node').then(() => true, (e: unknown) => {
    const first = e instanceof Error ? e.message.split('\n')[0] : String(e);
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') {
      error = first;
      return false;
    }
    try {
      return requireFromCwd();
    } catch (e2) {
      error = (e2 as { code?: string }).code === 'MODULE_NOT_FOUND' ? `${first}; none in ${path.join(process.cwd(), 'node_modules')} either` : (e2 instanceof Error ? e2.message.split('\n')[0] : String(e2));
      return false;
    }
  });
  const ok = await tfjsNode;
  return { ok: ok && tf.findBackend('tensorflow') !== null, error };
}

async function loadWasm(): Promise<string | undefined> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return 'the wasm backend failed to initialise';
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
}

/**
 * A backend's kernels are registered when its module is loaded, which selectBackend does. So that
 * missingKernels answers before any backend is chosen, wasm's module (kernel registration only; the
 * WebAssembly starts at setBackend) is loaded here when none of its kernels is registered yet.
 */
function ensureWasmKernels(): void {
  if (tf.getKernelsForBackend('wasm').length > 0) return;
  try {
    createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    throw new EmofuseError(`cannot tell which kernels wasm has: @tensorflow/tfjs-backend-wasm does not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
      { where: 'missingKernels', fix: 'install @tensorflow/tfjs-backend-wasm (an optional dependency of @emofuse/models)' });
  }
}

/** Kernels the training of `models` needs that `backend` lacks (from each descriptor's list). */
export function missingKernels(backend: string, models: readonly string[], extra: readonly string[] = []): string[] {
  if (backend === 'wasm') ensureWasmKernels();
  const need = new Set([...models.flatMap((m) => modelDescriptor(m).kernels ?? []), ...extra]);
  return [...need].filter((k) => !tf.getKernel(k, backend)).sort();
}

/** Models whose descriptors do not list their kernels, so no backend can be vouched for them. */
function unmeasured(models: readonly string[]): string[] {
  return models.filter((m) => modelDescriptor(m).kernels === undefined);
}

type KernelArgs = Parameters<tf.KernelFunc>[0];
const overridden = new Set<string>();
/** Replaces tfjs-node's kernel `name` (once a process) by `f`, which may fall back to the original. */
function overrideNodeKernel(name: string, f: (args: KernelArgs, original: tf.KernelConfig) => ReturnType<tf.KernelFunc>): void {
  if (overridden.has(name)) return;
  const original = tf.getKernel(name, 'tensorflow');
  if (!original) return;
  tf.unregisterKernel(name, 'tensorflow');
  tf.registerKernel({ ...original, kernelFunc: (args) => f(args, original) });
  overridden.add(name);
}

/**
 * tfjs-node's Step kernel (the gradient of every ReLU) runs ~7 TensorFlow ops (isNaN, greater,
 * ones, fill, where, select). For the usual alpha = 0, sign(relu(x)) is the same function, NaN
 * included, in 2 ops. Other alphas keep the original kernel.
 */
function installFastStep(): void {
  overrideNodeKernel('Step', (args, original) => {
    const alpha = (args.attrs as { alpha?: number } | undefined)?.alpha ?? 0;
    const x = (args.inputs as { x: tf.Tensor }).x;
    if (alpha !== 0 || x.dtype !== 'float32') return original.kernelFunc(args);
    return tf.tidy(() => tf.sign(tf.relu(x)));
  });
}

/**
 * tfjs-node's Reshape and ExpandDims kernels make a new int32 tensor of the shape (the axis) on
 * every call and free it after: two more binding calls and a tfjs tensor's bookkeeping each time,
 * ~20 times a speech-cnn step (the conv and pool layers' 3-D <-> 4-D reshapes). With the `shapes`
 * fast path they take a cached handle (`int32Handle`) instead; the same TF ops run.
 */
function installShapeKernels(): void {
  const cached = (x: tf.Tensor) => fastPath('shapes') && (x.dtype === 'float32' || x.dtype === 'int32');
  overrideNodeKernel('Reshape', (args, original) => {
    const x = (args.inputs as { x: tf.Tensor }).x;
    if (!cached(x)) return original.kernelFunc(args);
    const { shape } = args.attrs as { shape: number[] };
    return native('Reshape', [attr.type('T', x.dtype as 'float32' | 'int32'), attr.type('Tshape', 'int32')], [x, int32Handle(shape)])[0];
  });
  overrideNodeKernel('ExpandDims', (args, original) => {
    const x = (args.inputs as { input: tf.Tensor }).input;
    if (!cached(x)) return original.kernelFunc(args);
    const { dim } = args.attrs as { dim: number };
    return native('ExpandDims', [attr.type('T', x.dtype as 'float32' | 'int32'), attr.type('Tdim', 'int32')], [x, int32Handle([dim], true)])[0];
  });
}

/**
 * Picks and activates a tfjs backend. 'auto': tensorflow (tfjs-node) if it loads, else wasm if
 * it has every kernel that training `models` needs, else cpu (correct but ~600x slower for the
 * CNNs). An explicit choice that cannot run throws, naming what is missing. Installs emofuse's
 * gradient patches and native kernels (installGradientPatches) first, once a process.
 */
export async function selectBackend(pref: BackendPreference = 'auto', opts: { models?: readonly string[]; kernels?: readonly string[] } = {}): Promise<BackendChoice> {
  // Whichever backend runs: the Unpack fix matters on every one, the others only act on tfjs-node.
  installGradientPatches();
  const models = opts.models ?? modelTypes();
  const notes: string[] = [];
  if (pref === 'auto' || pref === 'tensorflow') {
    const node = await loadTfjsNode();
    if (node.ok && (await tf.setBackend('tensorflow'))) {
      await tf.ready();
      installFastStep();
      installShapeKernels();
      return { name: 'tensorflow', reason: pref === 'auto' ? 'auto: tfjs-node (libtensorflow) loaded' : 'requested' };
    }
    const why = `tfjs-node unavailable (${node.error ?? 'backend did not register'})`;
    if (pref === 'tensorflow') throw new EmofuseError(why, { where: 'backend', fix: 'build @tensorflow/tfjs-node for this Node (its native libtensorflow), or ask for the auto backend' });
    notes.push(why);
  }
  if (pref === 'auto' || pref === 'wasm') {
    const err = await loadWasm();
    if (!err) {
      // opts.kernels: what the run's inputs add (token ids: TOKEN_INPUT_KERNELS).
      const missing = missingKernels('wasm', models, opts.kernels);
      // An explicit 'wasm' is the user's call; 'auto' only picks it where every kernel is known to be there.
      const unknown = pref === 'auto' ? unmeasured(models) : [];
      if (missing.length === 0 && unknown.length === 0) {
        await tf.ready();
        return { name: 'wasm', reason: pref === 'auto' ? `auto: ${notes.join('; ')}; wasm has every kernel ${models.join(', ')} need` : 'requested' };
      }
      const why = missing.length
        ? `wasm lacks kernels ${missing.join(', ')} needed to train ${models.join(', ')}`
        : `wasm not vouched for ${unknown.join(', ')} (their descriptors list no training kernels)`;
      if (pref === 'wasm') throw new EmofuseError(why, { where: 'backend', fix: 'ask for the cpu or auto backend' });
      notes.push(why);
    } else {
      if (pref === 'wasm') throw new EmofuseError(`wasm backend unavailable: ${err}`, { where: 'backend', fix: 'ask for the cpu or auto backend' });
      notes.push(`wasm unavailable (${err})`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', reason: pref === 'cpu' ? 'requested' : `auto: ${notes.join('; ')}; pure-JS cpu backend (slow for the CNNs)` };
}
