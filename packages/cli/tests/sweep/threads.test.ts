import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { threadEnv, threadsPerTask } from '../../src/sweep/command.ts';
import { repoRoot } from '../helpers.ts';

// Threads of a fresh tfjs-node process after one matMul, by name: the intra-op pool's threads are
// unnamed ("node"), the inter-op pool's are "tf_Compute".
function tfThreads(env: Record<string, string>): { node: number; tfCompute: number; backend: string } {
  const script = `
    const tf = require(${JSON.stringify(path.join(repoRoot, 'node_modules/@tensorflow/tfjs-node'))});
    const a = tf.randomNormal([256, 256]); tf.matMul(a, a).dataSync();
    const fs = require('fs'); const n = {};
    for (const t of fs.readdirSync('/proc/self/task')) { const c = fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim(); n[c] = (n[c] || 0) + 1; }
    console.log(JSON.stringify({ node: n.node || 0, tfCompute: n.tf_Compute || 0, backend: tf.getBackend() }));`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TF_NUM_'))) as Record<string, string>;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...clean, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tfjs-node did not start: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('TensorFlow threads per worker', () => {
  it('tfjs-node honours TF_NUM_INTRAOP_THREADS and TF_NUM_INTEROP_THREADS', () => {
    const one = tfThreads(threadEnv(1));
    expect(one.backend).toBe('tensorflow');
    const four = tfThreads({ TF_NUM_INTRAOP_THREADS: '4', TF_NUM_INTEROP_THREADS: '3' });
    // Three more intra-op threads, and the inter-op pool has the size asked for.
    expect(four.node - one.node).toBe(3);
    expect(one.tfCompute).toBe(1);
    expect(four.tfCompute).toBe(3);
  });

  it('divides the cores among the workers, at least one thread each', () => {
    const saved = process.env.TF_NUM_INTRAOP_THREADS;
    delete process.env.TF_NUM_INTRAOP_THREADS;
    try {
      expect(threadsPerTask(1)).toBeGreaterThanOrEqual(1);
      expect(threadsPerTask(1000)).toBe(1);
      expect(threadsPerTask(2, 3)).toBe(3);
    } finally {
      if (saved !== undefined) process.env.TF_NUM_INTRAOP_THREADS = saved;
    }
  });
});
