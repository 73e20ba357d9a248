/**
 * Train and predict any registered model: the shared loop and batch prediction, unless the
 * descriptor brings its own. The pipeline calls these, never a model type by name.
 */
import type { Posteriors } from '@emofuse/core';
import { modelDescriptor } from './descriptor.ts';
import type { EmofuseModel, ModelInputs } from './model.ts';
import { predict } from './predict.ts';
import { train, type TrainData, type TrainOptions, type TrainResult } from './train.ts';

export function trainModel(model: EmofuseModel, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  const d = modelDescriptor(model.type);
  return d.train ? d.train(model, data, options) : train(model, data, options);
}

export function predictModel(model: EmofuseModel, inputs: ModelInputs): Posteriors {
  const d = modelDescriptor(model.type);
  return d.predict ? d.predict(model, inputs) : predict(model, inputs);
}
