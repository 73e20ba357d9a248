/**
 * Low-rank Multimodal Fusion (Liu et al., ACL 2018): TFN's fusion tensor W . ((z_t; 1) outer
 * (z_s; 1)) with W factored into `rank` modality-specific factors, so h = sum_r w_r
 * (W_t^r [z_t; 1]) * (W_s^r [z_s; 1]) costs (d_t + d_s) x rank x out instead of d_t x d_s x out.
 * The subnetworks are TFN's (its slice's widths); audio-text only, as TFN here.
 */
import { z } from 'zod';
import type { SymbolicTensor } from '@tensorflow/tfjs';
import { posInt, widths } from '@emofuse/core';
import { registerModel } from '../descriptor.ts';
import { FUSION_NETWORK, subnetworks, withOne, type TfnSlice } from './tfn.ts';

export const lmfSlice = z.strictObject({
  /** Rank of the factored fusion weights. */
  rank: posInt,
  /** Width of the fused representation h. */
  fusedDim: posInt,
  /** Dense ReLU layers after h, then softmax. */
  hidden: widths('[64]'),
});
export type LmfSlice = z.infer<typeof lmfSlice>;

export const LMF_DEFAULTS: LmfSlice = {
  rank: 4, // Liu et al.: rank 4 works across their tasks
  fusedDim: 64, // Open
  hidden: [64], // Open
};

export const lmf = registerModel({
  type: 'lmf',
  summary: 'Low-rank Multimodal Fusion over text and speech (Liu et al. 2018; audio-text, TFN subnetworks)',
  ...FUSION_NETWORK,
  config: { key: 'lmf', schema: lmfSlice, defaults: LMF_DEFAULTS },
  slices: ['text', 'tfn'], // the text extractor and TFN's subnetworks
  build(req, t) {
    const cfg = t.config.lmf as LmfSlice;
    const tf = t.tf;
    const { zt, zs, inputs, dense, drop } = subnetworks(req, t, t.config.tfn as TfnSlice, 'lmf');
    // One factor per modality: [z; 1] -> rank x fusedDim (no bias: the appended 1 is the bias).
    const factor = (x: SymbolicTensor, name: string) => tf.layers.reshape({ targetShape: [cfg.rank, cfg.fusedDim], name: `${name}_ranks` }).apply(
      tf.layers.dense({ units: cfg.rank * cfg.fusedDim, useBias: false, kernelInitializer: t.glorot(), name: `${name}_factor` }).apply(withOne(x, t, name)),
    ) as SymbolicTensor;
    const prod = tf.layers.multiply({ name: 'lmf_product' }).apply([factor(zt, 'lmf_text'), factor(zs, 'lmf_speech')]) as SymbolicTensor;
    // The rank-weighted sum (the paper's fusion weights w_r and bias), as a dense layer over the rank axis.
    const byOut = tf.layers.permute({ dims: [2, 1], name: 'lmf_by_output' }).apply(prod) as SymbolicTensor;
    const summed = tf.layers.dense({ units: 1, kernelInitializer: t.glorot(), name: 'lmf_rank_weights' }).apply(byOut) as SymbolicTensor;
    let h = tf.layers.flatten({ name: 'lmf_fusion' }).apply(summed) as SymbolicTensor;
    cfg.hidden.forEach((units, i) => { h = drop(dense(h, units, `lmf_inference_${i + 1}`), `lmf_inference_dropout_${i + 1}`); });
    const output = tf.layers.dense({ units: req.classes.length, activation: 'softmax', kernelInitializer: t.glorot(), name: 'posteriors' }).apply(h) as SymbolicTensor;
    return { inputs, output };
  },
});
