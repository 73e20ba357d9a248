/**
 * Late-fusion rules as descriptors. A rule is one file under `rules/` that calls
 * `registerFusionRule`; the pipeline calls every rule the same way: `fitFusion(name, valid)` on
 * the validation posteriors (a no-op for rules that choose nothing), then `apply` to any part.
 */
import { EmofuseError, type Posteriors, type Scorer } from '@emofuse/core';
import type { FusionRule, SystemPosteriors } from './align.ts';
import type { ValidationSet } from './search.ts';

/** What a fitted rule may use to choose its parameters: validation data only, and how to score it. */
export interface FitOptions {
  metric?: string;
  /** Grid step for rules that search weights. */
  step?: number;
  scorers?: Readonly<Record<string, Scorer>>;
}

export interface FusionRuleDescriptor<P = unknown> {
  name: string;
  /** One line for docs and run notes (e.g. "late fusion II: weighted sum, weights chosen on validation"). */
  summary: string;
  /** True when the rule chooses parameters on validation data before it can be applied. */
  fitted: boolean;
  /** Chooses the parameters from validation posteriors (required when `fitted`). */
  fit?(valid: ValidationSet, options: FitOptions): P;
  /** For rules that take one weight per system: the parameters for weights the caller gives (`fuse`). */
  fromWeights?(weights: readonly number[], systems: readonly SystemPosteriors[]): P;
  /** Fuses 2 or more systems' posteriors (rows follow the first system's ids). */
  apply(systems: readonly SystemPosteriors[], params: P | undefined): Posteriors;
}

/** A rule ready to apply: its parameters (if any) were chosen on validation data. */
export interface FittedFusion<P = unknown> {
  rule: string;
  params: P | undefined;
  apply(systems: readonly SystemPosteriors[]): Posteriors;
}

// One registry per process, even when this module is loaded twice (see models' descriptor.ts).
const REGISTRY = Symbol.for('emofuse.fusion.registry');
const shared = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= { rules: new Map<string, FusionRuleDescriptor>(), version: 0 }) as { rules: Map<string, FusionRuleDescriptor>; version: number };
const rules = shared.rules;

export function registerFusionRule<P>(d: FusionRuleDescriptor<P>): FusionRuleDescriptor<P> {
  if (!/^[a-z][a-z0-9-]*$/.test(d.name)) throw new EmofuseError(`fusion rule name ${JSON.stringify(d.name)} must be lower-case letters, digits and dashes`, { where: 'registerFusionRule' });
  const prev = rules.get(d.name);
  // The same file loaded a second time (another module instance) brings the same code: keep the first.
  if (prev && prev !== d && prev.summary === d.summary && prev.fitted === d.fitted) return prev as FusionRuleDescriptor<P>;
  if (prev && prev !== d) throw new EmofuseError(`fusion rule ${d.name} is already registered`, { where: 'registerFusionRule', fix: 'choose another name' });
  if (d.fitted && !d.fit) throw new EmofuseError(`fusion rule ${d.name} is fitted but has no fit()`, { where: 'registerFusionRule' });
  if (!prev) shared.version++;
  rules.set(d.name, d as FusionRuleDescriptor);
  return d;
}

export function fusionRule(name: string): FusionRuleDescriptor {
  const d = rules.get(name);
  if (!d) throw new EmofuseError(`unknown fusion rule ${JSON.stringify(name)}`, { where: 'fusion', fix: `use one of ${fusionRuleNames().join(', ')}` });
  return d;
}

/** Registered rules in registration order (the paper's I, II, III first). */
export function fusionRuleNames(): string[] {
  return [...rules.keys()];
}

export function fusionRegistryVersion(): number {
  return shared.version;
}

/**
 * Fits a rule on validation posteriors (when it chooses anything) and returns it ready to apply.
 * The options take validation data only; test posteriors can only reach `apply`.
 */
export function fitFusion(name: string, valid: ValidationSet | undefined, options: FitOptions = {}): FittedFusion {
  const d = fusionRule(name);
  let params: unknown;
  if (d.fitted) {
    if (!valid || valid.systems.every((s) => s.ids.length === 0)) {
      throw new EmofuseError(`fusion rule ${name} chooses its parameters on validation data, and this split has none`, {
        where: 'split.validFraction', fix: 'set split.validFraction above 0',
      });
    }
    params = d.fit!(valid, options);
  }
  return { rule: name, params, apply: (systems) => d.apply(systems, params) };
}

/**
 * Late fusion of 2 or more systems' posteriors with a registered rule. `average` (I) and
 * `product` (III) take no weights; `weighted` (II) needs one weight per system on the simplex
 * (any rule with `fromWeights` takes them). The result follows the first system's id and class order.
 */
export function fuse(rule: FusionRule, systems: readonly SystemPosteriors[], weights?: readonly number[]): Posteriors {
  const d = fusionRule(rule);
  if (weights !== undefined) {
    if (!d.fromWeights) throw new EmofuseError(`rule ${rule} takes no weights`, { where: 'fusion', fix: "use rule 'weighted' to give weights" });
    return d.apply(systems, d.fromWeights(weights, systems));
  }
  if (d.fromWeights) {
    throw new EmofuseError(`rule '${rule}' needs weights`, { where: 'fusion', fix: 'choose them on validation data with searchWeights, then applyWeights' });
  }
  if (d.fitted) {
    throw new EmofuseError(`rule '${rule}' chooses its parameters on validation data`, { where: 'fusion', fix: `fit it with fitFusion('${rule}', valid), then apply` });
  }
  return d.apply(systems, undefined);
}
