/**
 * emofuse's custom layers, one file each; importing a file registers its class for
 * deserialisation (tf.serialization.registerClass), so a saved model.json loads once this
 * index (or the layer's own file) is imported. What `BuildTools.layers` hands a model's build.
 */
export { EmofuseConv1D, im2colConv1d, type Conv1DArgs } from './conv1d.ts';
export { EmofuseMaxPool1D } from './max-pool1d.ts';
export { EmofuseSequenceMask } from './sequence-mask.ts';
export { EmofuseLSTM, type LSTMArgs } from './lstm.ts';
export { EmofuseDense } from './dense.ts';
export { setConvImplementation } from './conv-path.ts';
export { EmofuseContextBiLSTM } from './context-bilstm.ts';
