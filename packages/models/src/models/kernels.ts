/**
 * Kernels every model of the paper needs for a training step (forward and gradients), as measured
 * with tf.profile on the cpu backend (tests/backend.test.ts re-measures and compares). With our
 * im2col convolution and reshape max-pooling, none of them is a conv/pool gradient kernel.
 */
export const COMMON_KERNELS: readonly string[] = [
  'Add', 'ArgMax', 'BatchMatMul', 'Cast', 'ClipByValue', 'Concat', 'Equal', 'ExpandDims', 'GatherV2', 'GreaterEqual',
  'Identity', 'LessEqual', 'Log', 'LogicalAnd', 'Max', 'Mean', 'Multiply', 'Neg', 'OneHot', 'PadV2', 'RealDiv', 'Relu',
  'Reshape', 'Select', 'Slice', 'Softmax', 'SplitV', 'Sqrt', 'Square', 'Step', 'Sub', 'Sum', 'Tanh', 'ZerosLike', '_FusedMatMul',
];
