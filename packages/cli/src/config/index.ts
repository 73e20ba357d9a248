export { DEFAULTS, configDefaults } from './defaults.ts';
export { configSchema, sweepSchema, CORPUS_TYPES, SPLIT_PROTOCOLS, METRICS, PATH_KEYS } from './schema.ts';
export type { Config, SystemName, MetricName, SweepFile } from './schema.ts';
export { textInputOf, loadExperiment, resolveConfig, readYamlLayer, setLayers, toResolvedYaml, writeResolvedConfig, ConfigError } from './load.ts';
export type { LoadOptions, ConfigLayer, ConfigIssue, Origin } from './load.ts';
export { loadSweep, expandSweep } from './sweep.ts';
export type { Sweep, SweepPoint } from './sweep.ts';
export { checkKeyPath, allKeyPaths, suggestKey } from './keys.ts';
export { repoRoot, baseDirFor } from './paths.ts';
