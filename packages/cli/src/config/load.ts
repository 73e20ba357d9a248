import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, writeFileAtomic } from '@emofuse/core';
import { redactUri } from '@emofuse/tracking';
import { modalitiesOf, modelDescriptor, modelTypes } from '@emofuse/models/config';
import YAML, { LineCounter, isMap, isScalar, isSeq, type Document } from 'yaml';
import { configDefaults } from './defaults.ts';
import { checkKeyPath, findUnknownKeys, isPlainObject, nearest } from './keys.ts';
import { DATA_FIX, baseDirFor, cloneRoot, displayPath, hasDataVar, repoRoot, resolvePathValue } from './paths.ts';
import { PATH_KEYS, configSchema, isPathValue, type Config } from './schema.ts';

/** Where one layer of configuration came from; used to point error messages at the right line. */
export type Origin =
  | { kind: 'defaults' }
  | { kind: 'file'; file: string; doc: Document; lines: LineCounter }
  | { kind: 'set'; arg: string; cwd: string }
  | { kind: 'seed'; seed: number }
  | { kind: 'sweep'; file: string; key: string; value: unknown };

/** One partial config tree and its origin. Later layers override earlier ones. */
export interface ConfigLayer {
  values: Record<string, unknown>;
  origin: Origin;
}

export interface ConfigIssue {
  /** Dotted key path, e.g. `train.batchSize` (list items as `seeds[1]`). */
  key: string;
  message: string;
  /** `experiments/x.yaml:12`, `--set train.batchSize=big`, `defaults`. */
  where: string;
  fix?: string;
}

/**
 * Bad configuration: one or more issues, each naming where it was written, the key path and the
 * fix. The CLI prints `describe()` and exits with code 2; nothing has been done yet.
 */
export class ConfigError extends InputError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    const one = issues.length === 1 ? issues[0] : undefined;
    super(
      one
        ? `${one.key ? `${one.key}: ` : ''}${one.message}`
        : `${issues.length} problems in the configuration:\n` +
            issues.map((i) => `  - ${i.where}: ${i.key ? `${i.key}: ` : ''}${i.message}${i.fix ? ` (${i.fix})` : ''}`).join('\n'),
      { where: one ? one.where : undefined, fix: one?.fix },
    );
    this.issues = issues;
  }
}

export interface LoadOptions {
  /** `key.path=value` overrides, applied in order after the file (value parsed as YAML). */
  set?: string[];
  /** Replaces `seeds` with `[seed]`. */
  seed?: number;
  /** Check that corpus.path and the other input files exist (default true). */
  checkFiles?: boolean;
  /** Base for `--set` paths (default process.cwd()). */
  cwd?: string;
}

// ---------------------------------------------------------------------------------------------
// Reading YAML

/** Parse a YAML file into a config layer; malformed YAML is refused with file, line and column. */
export function readYamlLayer(file: string, what = 'experiment'): ConfigLayer {
  const abs = path.resolve(file);
  let src: string;
  try {
    src = readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError([{
      key: '',
      where: displayPath(abs),
      message: code === 'ENOENT' ? `${what} file not found` : code === 'EISDIR' ? `is a directory, expected a ${what} YAML file` : `cannot read ${what} file (${code})`,
      fix: code === 'ENOENT' ? `check the path (relative to ${process.cwd()}); ${cloneRoot ? `shipped experiments are under ${displayPath(path.join(cloneRoot, 'experiments'))}/` : '`emofuse init` writes the shipped examples into experiments/'}` : undefined,
    }]);
  }
  const lines = new LineCounter();
  // uniqueKeys is checked below in linear time (the library's own check compares every pair of keys).
  const doc = YAML.parseDocument(src, { lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length === 0) {
    const dup = firstDuplicateKey(doc.contents);
    if (dup) {
      throw new ConfigError([{
        key: '', where: `${displayPath(abs)}:${lines.linePos(dup.offset).line}`,
        message: `duplicate key '${dup.key}' (written earlier on line ${lines.linePos(dup.first).line})`, fix: 'keep one of the two',
      }]);
    }
  }
  if (doc.errors.length > 0) {
    // The first error is the cause; later ones are usually its echoes.
    const err = doc.errors[0];
    const pos = err.linePos?.[0];
    throw new ConfigError([{
      key: '',
      where: pos ? `${displayPath(abs)}:${pos.line}:${pos.col}` : displayPath(abs),
      message: `malformed YAML: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      fix: 'check indentation, colons and quotes around that line',
    }]);
  }
  let values: unknown;
  try {
    values = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    // yaml refuses an alias bomb (aliases that expand exponentially) with a ReferenceError.
    throw new ConfigError([{
      key: '', where: displayPath(abs),
      message: `refused: ${(e as Error).message.split('\n')[0]}`,
      fix: 'write the values out instead of through many nested aliases (*name); a config needs at most a few',
    }]);
  }
  if (!isPlainObject(values)) {
    throw new ConfigError([{ key: '', where: displayPath(abs), message: `expected a mapping of keys (e.g. \`train: { epochs: 10 }\`), got ${describeValue(values)}` }]);
  }
  return { values, origin: { kind: 'file', file: abs, doc, lines } };
}

/** Turn `--set key.path=value` arguments into layers; the value is parsed as a YAML scalar or list. */
export function setLayers(args: readonly string[], cwd = process.cwd()): ConfigLayer[] {
  const issues: ConfigIssue[] = [];
  const layers: ConfigLayer[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      issues.push({ key: '', where: `--set ${arg}`, message: 'expected key.path=value', fix: 'for example --set train.epochs=5 or --set seeds=[1,2,3]' });
      continue;
    }
    const key = arg.slice(0, eq).trim();
    const problem = checkKeyPath(key);
    if (problem) {
      issues.push({ key: problem.path.join('.'), where: `--set ${arg}`, message: 'unknown key', fix: problem.suggestion });
      continue;
    }
    let value: unknown;
    try {
      value = YAML.parse(arg.slice(eq + 1));
    } catch (e) {
      issues.push({ key, where: `--set ${arg}`, message: `value is not valid YAML: ${(e as Error).message.split('\n')[0]}`, fix: 'quote it, or write a list as [a, b]' });
      continue;
    }
    layers.push({ values: nest(key.split('.'), value), origin: { kind: 'set', arg, cwd } });
  }
  if (issues.length) throw new ConfigError(issues);
  return layers;
}

// ---------------------------------------------------------------------------------------------
// Resolving

/**
 * Load one experiment: embedded defaults, then the YAML file's overrides (if any), then `--set`
 * overrides, then `--seed`. Validates everything before returning: unknown keys (with a
 * did-you-mean), types, cross-field rules and (unless checkFiles is false) that input files exist.
 * Returns the fully resolved config (every default filled, paths absolute).
 */
export function loadExperiment(file: string | undefined, opts: LoadOptions = {}): Config {
  const layers: ConfigLayer[] = [];
  if (file !== undefined) {
    const layer = readYamlLayer(file);
    // A file that does not name its experiment takes its base name (runs/<name>/...).
    if (layer.values.experiment === undefined) {
      layers.push({ values: { experiment: safeName(path.basename(file).replace(/\.ya?ml$/i, '')) }, origin: layer.origin });
    }
    layers.push(layer);
  }
  layers.push(...setLayers(opts.set ?? [], opts.cwd));
  if (opts.seed !== undefined) layers.push({ values: { seeds: [opts.seed] }, origin: { kind: 'seed', seed: opts.seed } });
  return resolveConfig(layers, { checkFiles: opts.checkFiles });
}

/**
 * Merge layers onto the defaults and validate. Relative paths in each layer are resolved
 * against that layer's base (paths.ts: repo root for repo files and defaults, the file's folder
 * for other YAML files, the cwd for --set). Throws ConfigError listing every problem found.
 */
export function resolveConfig(layers: readonly ConfigLayer[], opts: { checkFiles?: boolean } = {}): Config {
  const all: ConfigLayer[] = [{ values: configDefaults() as Record<string, unknown>, origin: { kind: 'defaults' } }, ...layers];
  const issues: ConfigIssue[] = [];
  const origins = new Map<string, { origin: Origin; written: unknown }>();
  let merged: Record<string, unknown> = {};
  for (const layer of all) {
    for (const p of findUnknownKeys(layer.values)) {
      issues.push({ key: p.path.join('.'), where: whereOf(layer.origin, p.path), message: 'unknown key', fix: p.suggestion });
    }
    const values = resolvePaths(layer);
    recordOrigins(values, layer, [], origins);
    merged = deepMerge(merged, values);
  }
  if (issues.length) throw new ConfigError(issues);

  const parsed = configSchema().safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((iss) => {
      const p = iss.path.map(String);
      const at = originAt(origins, p);
      const got = 'input' in iss && iss.code !== 'unrecognized_keys' ? `, got ${describeValue(iss.input)}` : '';
      return {
        key: formatKey(iss.path),
        where: at ? whereOf(at.origin, p) : 'config',
        message: `${iss.message}${got}`,
        fix: iss.code === 'invalid_value' && typeof iss.input === 'string' ? nearValue(iss.input, iss.values) : undefined,
      };
    }));
  }
  const config = parsed.data;
  const cross = crossFieldIssues(config).map(({ related, ...i }) => ({ ...i, where: whereFor(origins, [i.key, ...(related ?? [])]) }));
  if (cross.length) throw new ConfigError(cross);
  if (opts.checkFiles !== false) {
    const missing = fileIssues(config, origins);
    if (missing.length) throw new ConfigError(missing);
  }
  return config;
}

/** Rules across keys that a per-key schema cannot express. */
type CrossIssue = Omit<ConfigIssue, 'where'> & { related?: string[] };
function crossFieldIssues(c: Config): CrossIssue[] {
  const out: CrossIssue[] = [];
  const dup = <T>(xs: T[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  if (dup(c.systems) !== undefined) out.push({ key: 'systems', message: `'${dup(c.systems)}' is listed twice` });
  if (dup(c.seeds) !== undefined) out.push({ key: 'seeds', message: `seed ${dup(c.seeds)} is listed twice (each seed is one run)` });
  if (c.fusion.rules.length > 0) {
    if (dup(c.fusion.rules) !== undefined) out.push({ key: 'fusion.rules', message: `'${dup(c.fusion.rules)}' is listed twice` });
    if (dup(c.fusion.systems) !== undefined) out.push({ key: 'fusion.systems', message: `'${dup(c.fusion.systems)}' is listed twice: late fusion needs different systems` });
    for (const s of c.fusion.systems) {
      if (!c.systems.includes(s)) {
        out.push({ key: 'fusion.systems', message: `'${s}' is fused but not trained in this run (systems: [${c.systems.join(', ')}])`, fix: `add ${s} to systems, or fuse systems that are trained`, related: ['systems', 'fusion.rules'] });
      }
    }
  }
  if (c.split.folds !== 'all' && !c.split.protocol.startsWith('loso')) {
    out.push({ key: 'split.folds', message: `a list of folds only applies to the loso and loso-speaker protocols (protocol is '${c.split.protocol}')`, fix: "set split.folds: all, or split.protocol: loso", related: ['split.protocol'] });
  }
  if (c.corpus.type === 'emodb' && (c.split.protocol === 'official' || c.split.protocol === 'paper')) {
    out.push({ key: 'split.protocol', message: `EmoDB has no official or session split ('${c.split.protocol}')`, fix: 'use loso-speaker (the standard EmoDB protocol: leave one speaker out)', related: ['corpus.type'] });
  }
  if ((c.corpus.classes !== null || c.corpus.name !== null) && c.corpus.type !== 'manifest') {
    out.push({ key: c.corpus.classes !== null ? 'corpus.classes' : 'corpus.name', message: `only a manifest corpus takes classes and name (corpus.type is '${c.corpus.type}')`, fix: 'remove it; built-in corpora know their classes', related: ['corpus.type'] });
  }
  if (c.split.protocol === 'holdout' && c.split.test === null) {
    out.push({ key: 'split.test', message: 'protocol holdout needs the sessions or groups to test on', fix: 'set split.test, e.g. [Ses05]', related: ['split.protocol'] });
  }
  if (c.split.protocol !== 'holdout' && c.split.test !== null) {
    out.push({ key: 'split.test', message: `split.test only applies to protocol holdout (protocol is '${c.split.protocol}')`, fix: 'set split.protocol: holdout, or remove split.test', related: ['split.protocol'] });
  }
  if (c.split.protocol === 'manifest' && c.corpus.type !== 'manifest') {
    out.push({ key: 'split.protocol', message: `'manifest' takes the split column of a manifest corpus (corpus.type is '${c.corpus.type}')`, fix: "use 'official' for the corpus's own lists", related: ['corpus.type'] });
  }
  if (c.corpus.type === 'emodb' && c.split.protocol === 'loso') {
    out.push({ key: 'split.protocol', message: "EmoDB has no sessions: 'loso' would hold out one speaker per fold", fix: 'say loso-speaker', related: ['corpus.type'] });
  }
  // Rules a model type states about itself (joint-cnn's frozen branch needs text-lstm, ...).
  const question = { model: c.model, textInput: textInputOf(c), systems: c.systems, corpus: { type: c.corpus.type, dialogues: c.corpus.type !== 'emodb' } };
  for (const s of c.systems) out.push(...(modelDescriptor(s).check?.(question) ?? []));
  if (c.features.text.trainable) {
    if (c.features.text.source !== 'embeddings') {
      out.push({ key: 'features.text.trainable', message: `fine-tuned word vectors need word sequences, but features.text.source is '${c.features.text.source}' (one vector per utterance)`, fix: 'set features.text.source: embeddings, or features.text.trainable: false', related: ['features.text.source'] });
    }
    const systems = [...new Set([...c.systems, ...(c.fusion.rules.length ? c.fusion.systems : [])])];
    const cannot = systems.filter((s) => modelDescriptor(s).reads.text && !modelDescriptor(s).reads.tokens);
    if (cannot.length) {
      const can = modelTypes().filter((s) => modelDescriptor(s).reads.tokens);
      out.push({ key: 'features.text.trainable', message: `${cannot.join(', ')} read${cannot.length === 1 ? 's' : ''} word vectors and cannot fine-tune them`, fix: `set features.text.trainable: false, or run systems that embed their own words (${can.join(', ')})`, related: ['systems'] });
    }
  }
  for (const mod of ['text', 'speech'] as const) {
    if (c.features[mod].source === 'file' && c.features[mod].file.path === null) {
      out.push({ key: `features.${mod}.file.path`, message: `features.${mod}.source is 'file' but no file is named`, fix: `set features.${mod}.file.path to your CSV, Parquet, Arrow or .npy file`, related: [`features.${mod}.source`] });
    }
  }
  const needsSpeech = modalitiesOf(c.systems).speech;
  for (const [mod, src] of [['text', c.features.text.source], ['speech', c.features.speech.source]] as const) {
    if (src === 'pkl' && c.corpus.type !== 'iemocap-features') {
      out.push({ key: `features.${mod}.source`, message: `'pkl' reads the 100-d vectors of IEMOCAP_features_raw.pkl, but corpus.type is '${c.corpus.type}'`, fix: `set corpus.type: iemocap-features, or features.${mod}.source: ${mod === 'text' ? 'embeddings' : 'opensmile'}`, related: ['corpus.type'] });
    }
  }
  if (needsSpeech && c.features.speech.source === 'opensmile' && (c.corpus.type === 'iemocap' || c.corpus.type === 'iemocap-features')) {
    out.push({
      key: 'features.speech.source',
      message: `openSMILE needs audio, and corpus.type '${c.corpus.type}' has none (systems: [${c.systems.join(', ')}])`,
      fix: c.corpus.type === 'iemocap' ? 'use corpus.type: iemocap-raw (the release with wav files) or iemocap-features with features.speech.source: pkl' : 'set features.speech.source: pkl',
      related: ['systems', 'corpus.type'],
    });
  }
  return out;
}

/** What the text features of a run are: word-vector sequences, or one vector per utterance. */
export function textInputOf(c: Pick<Config, 'features'>): 'sequence' | 'vector' {
  return c.features.text.source === 'embeddings' ? 'sequence' : 'vector';
}

/** Input files that must exist before any work starts. */
function fileIssues(c: Config, origins: Map<string, { origin: Origin; written: unknown }>): ConfigIssue[] {
  const checks: [string, string | null][] = [
    ['corpus.path', c.corpus.path],
    ['features.text.embeddings', isPathValue('features.text.embeddings', c.features.text.embeddings) ? c.features.text.embeddings : null],
    ['features.speech.smileBinary', c.features.speech.smileBinary],
    ['features.text.file.path', c.features.text.source === 'file' ? c.features.text.file.path : null],
    ['features.speech.file.path', c.features.speech.source === 'file' ? c.features.speech.file.path : null],
    ['features.text.file.ids', c.features.text.source === 'file' && c.features.text.file.ids && isPathValue('features.text.file.ids', c.features.text.file.ids) ? c.features.text.file.ids : null],
    ['features.speech.file.ids', c.features.speech.source === 'file' && c.features.speech.file.ids && isPathValue('features.speech.file.ids', c.features.speech.file.ids) ? c.features.speech.file.ids : null],
    ['features.speech.smileConfig', isPathValue('features.speech.smileConfig', c.features.speech.smileConfig) ? c.features.speech.smileConfig : null],
  ];
  const out: ConfigIssue[] = [];
  for (const [key, p] of checks) {
    if (p === null) continue;
    let ok = false;
    try {
      const st = statSync(p);
      ok = key === 'corpus.path' ? true : st.isFile();
    } catch {
      ok = false;
    }
    if (ok) continue;
    const at = originAt(origins, key.split('.'));
    const written = at && typeof at.written === 'string' && at.written !== p ? ` (written '${at.written}', resolved against ${baseDescription(at.origin)})` : '';
    out.push({
      key,
      where: at ? whereOf(at.origin, key.split('.')) : 'config',
      message: `no such file: ${p}${written}`,
      fix: hasDataVar(p) ? `EMOFUSE_DATA is not set: ${DATA_FIX}` : `put the file there, or point to it: --set ${key}=/path/to/${path.basename(p)}`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Output

/** The resolved config as YAML, as each run writes it to `config.resolved.yaml`. */
export function toResolvedYaml(config: Config): string {
  let head = '# emofuse resolved configuration: every default filled in, paths absolute.\n# Rerun it with: ./emofuse run <this file>\n';
  // A password in tracking.uri is never stored; the rerun takes it from MLFLOW_TRACKING_URI or MLFLOW_TRACKING_USERNAME/PASSWORD.
  const uri = config.tracking?.uri;
  if (uri && redactUri(uri) !== uri) {
    config = { ...config, tracking: { ...config.tracking, uri: redactUri(uri) } };
    head += '# tracking.uri held credentials, removed here: give them in MLFLOW_TRACKING_URI or MLFLOW_TRACKING_USERNAME/PASSWORD to rerun.\n';
  }
  return head + YAML.stringify(config, { lineWidth: 0 });
}

/** Write `config.resolved.yaml` into a run directory (atomically); returns its path. */
export function writeResolvedConfig(dir: string, config: Config): string {
  const file = path.join(dir, 'config.resolved.yaml');
  writeFileAtomic(file, toResolvedYaml(config));
  return file;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function nest(parts: string[], value: unknown): Record<string, unknown> {
  let out: unknown = value;
  for (let i = parts.length - 1; i >= 0; i--) out = { [parts[i]]: out };
  return out as Record<string, unknown>;
}

/** The first key written twice in one mapping (anywhere in the document), with both offsets. */
function firstDuplicateKey(root: unknown): { key: string; offset: number; first: number } | undefined {
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const k = String(pair.key.value);
          const at = pair.key.range?.[0] ?? 0;
          const prev = seen.get(k);
          if (prev !== undefined) return { key: k, offset: at, first: prev };
          seen.set(k, at);
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      stack.push(...node.items);
    }
  }
  return undefined;
}

/** Objects merge key by key; lists and scalars replace (a list in an override is the whole list). */
export function deepMerge(base: unknown, over: unknown): Record<string, unknown> {
  if (!isPlainObject(base) || !isPlainObject(over)) return over as Record<string, unknown>;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k], v) : v;
  }
  return out;
}

function getIn(obj: unknown, parts: string[]): unknown {
  let cur = obj;
  for (const p of parts) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

function baseDescription(origin: Origin): string {
  switch (origin.kind) {
    case 'defaults': return cloneRoot ? `the repository root ${cloneRoot}` : `the working directory ${repoRoot}`;
    case 'file': case 'sweep': {
      const base = baseDirFor({ file: origin.file });
      return base === cloneRoot ? `the repository root ${cloneRoot}` : `the file's folder ${base}`;
    }
    case 'set': return `the working directory ${origin.cwd}`;
    default: return 'the working directory';
  }
}

function baseOf(origin: Origin): string {
  switch (origin.kind) {
    case 'defaults': return repoRoot;
    case 'file': case 'sweep': return baseDirFor({ file: origin.file });
    case 'set': return origin.cwd;
    default: return process.cwd();
  }
}

/** Copy of the layer's values with relative path values made absolute against the layer's base. */
function resolvePaths(layer: ConfigLayer): Record<string, unknown> {
  const values = structuredClone(layer.values);
  const base = baseOf(layer.origin);
  if (Array.isArray(values.plugins)) values.plugins = values.plugins.map((p) => (typeof p === 'string' ? path.resolve(base, p) : p));
  for (const key of PATH_KEYS) {
    const parts = key.split('.');
    const parent = getIn(values, parts.slice(0, -1));
    const leaf = parts[parts.length - 1];
    if (!isPlainObject(parent) || typeof parent[leaf] !== 'string') continue;
    const v = parent[leaf] as string;
    if (!isPathValue(key, v)) continue;
    parent[leaf] = resolvePathValue(v, base);
  }
  return values;
}

function recordOrigins(values: unknown, layer: ConfigLayer, at: string[], out: Map<string, { origin: Origin; written: unknown }>): void {
  const key = at.join('.');
  if (at.length > 0) {
    if (isPlainObject(values)) {
      // A mapping merges into what earlier layers wrote, so it owns only the keys it writes
      // (a later `--set train.epochs=1` does not take the blame for the file's train.batchSize).
      if (!out.has(key)) out.set(key, { origin: layer.origin, written: getIn(layer.values, at) });
    } else {
      // A scalar or a list replaces: it owns everything under it. (Only a key an earlier layer
      // wrote can have keys under it: checking first keeps the walk linear in the number of keys.)
      if (out.has(key)) for (const k of [...out.keys()]) if (k === key || k.startsWith(`${key}.`)) out.delete(k);
      out.set(key, { origin: layer.origin, written: getIn(layer.values, at) });
    }
  }
  if (isPlainObject(values)) for (const [k, v] of Object.entries(values)) recordOrigins(v, layer, [...at, k], out);
}

function originAt(origins: Map<string, { origin: Origin; written: unknown }>, parts: string[]) {
  for (let n = parts.length; n > 0; n--) {
    const hit = origins.get(parts.slice(0, n).join('.'));
    if (hit) return hit;
  }
  return undefined;
}

/** Where to point for an issue: the first of its keys that was not left at its default. */
function whereFor(origins: Map<string, { origin: Origin; written: unknown }>, keys: string[]): string {
  for (const key of keys) {
    const at = originAt(origins, key.split('.'));
    if (at && at.origin.kind !== 'defaults') return whereOf(at.origin, key.split('.'));
  }
  return whereOf({ kind: 'defaults' }, []);
}

/** `file:line` of a key inside a YAML document (the deepest part of the path that is written there). */
function whereOf(origin: Origin, parts: string[]): string {
  switch (origin.kind) {
    case 'defaults': return 'defaults (packages/cli/src/config/defaults.ts)';
    case 'set': return `--set ${origin.arg}`;
    case 'seed': return `--seed ${origin.seed}`;
    case 'sweep': return `${displayPath(origin.file)}: grid '${origin.key}' = ${describeValue(origin.value)}`;
    case 'file': {
      let node: unknown = origin.doc.contents;
      let offset: number | undefined;
      for (const part of parts) {
        if (!isMap(node)) break;
        const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === part);
        if (!pair) break;
        offset = (pair.key as { range?: [number, number, number] }).range?.[0];
        node = pair.value;
      }
      const file = displayPath(origin.file);
      return offset === undefined ? file : `${file}:${origin.lines.linePos(offset).line}`;
    }
  }
}

function formatKey(p: readonly PropertyKey[]): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i ? '.' : ''}${String(s)}`)).join('');
}

/** A short rendering of a bad value: strings quoted, long things cut. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 37)}...` : v}'`;
  if (Array.isArray(v)) return `a list [${v.slice(0, 5).map(describeValue).join(', ')}${v.length > 5 ? ', ...' : ''}]`;
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** "did you mean 'text-lstm'?" for an enum value with a typo (text_lstm, Weighted). */
function nearValue(bad: string, values: readonly unknown[]): string | undefined {
  const near = nearest(bad, values.filter((v): v is string => typeof v === 'string'), (x) => x.toLowerCase().replace(/[-_ ]/g, ''));
  return near === undefined ? undefined : `did you mean '${near}'?`;
}

function safeName(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned || 'default';
}
