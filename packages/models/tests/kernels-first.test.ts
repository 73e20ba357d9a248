// missingKernels called first in a fresh process (each test file runs in its own), before any
// selectBackend: it must answer from the backend's real kernel registry, not "everything missing".
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { missingKernels } from '../src/index.ts';

describe('missingKernels before a backend is chosen', () => {
  it('knows wasm has every kernel the text LSTM trains with, and names the one token ids add', () => {
    expect(tf.getKernelsForBackend('wasm')).toEqual([]); // nothing loaded wasm yet
    expect(missingKernels('wasm', ['text-lstm'])).toEqual([]);
    expect(missingKernels('wasm', ['text-lstm'], ['UnsortedSegmentSum'])).toEqual(['UnsortedSegmentSum']);
    expect(tf.getKernelsForBackend('wasm').length).toBeGreaterThan(50);
  });
});
