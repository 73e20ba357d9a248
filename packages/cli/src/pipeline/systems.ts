import { trainingOrder } from '@emofuse/models';
import { textInputOf } from '../config/index.ts';
import type { Config } from '../config/schema.ts';

/** The systems a config trains (its systems and the fused rules' parts), each after the systems it builds on. */
export function systemsToTrain(config: Config): string[] {
  const want = [...config.systems, ...(config.fusion.rules.length ? config.fusion.systems : [])];
  return trainingOrder([...new Set(want)], { model: config.model, textInput: textInputOf(config) });
}
