/**
 * `emofuse models`: what a run can name, from the registries themselves (built-in model types and
 * fusion rules, plus any plugin an experiment file or --set names), so the list never goes stale.
 */
import { modelDescriptor, modelTypes, type ModelReads } from '@emofuse/models/config';
import { fusionRule, fusionRuleNames } from '@emofuse/fusion';

export interface Catalog {
  models: { type: string; summary: string; reads: string; context: string; slice: string | null; defaultEpochs: number; tokens: boolean }[];
  fusion: { name: string; summary: string; fitted: boolean }[];
}

function describeReads(r: ModelReads): string {
  const text = r.text === undefined ? [] : [r.text === 'any' ? 'text (words or vector)' : r.text === 'sequence' ? 'text (words)' : 'text (vector)'];
  return [...text, ...(r.speech ? ['speech'] : [])].join(' + ');
}

export function catalog(): Catalog {
  return {
    models: modelTypes().map((type) => {
      const d = modelDescriptor(type);
      return { type, summary: d.summary, reads: describeReads(d.reads), context: d.context, slice: d.config ? `model.${d.config.key}` : null, defaultEpochs: d.defaultEpochs, tokens: d.reads.tokens === true };
    }),
    fusion: fusionRuleNames().map((name) => {
      const r = fusionRule(name);
      return { name, summary: r.summary, fitted: r.fitted };
    }),
  };
}

export function formatCatalog(c: Catalog): string {
  const pad = (s: string, n: number) => s.padEnd(n);
  const w = Math.max(...c.models.map((m) => m.type.length));
  const lines = ['model types (systems: [...]; each slice is printed whole by `emofuse run --dry-run`):'];
  for (const m of c.models) {
    lines.push(`  ${pad(m.type, w)}  ${m.summary}`);
    lines.push(`  ${pad('', w)}  reads ${m.reads}${m.tokens ? ' (can fine-tune the vectors: features.text.trainable)' : ''}; ${m.context === 'dialogue' ? 'DIALOGUE-level (reads context)' : 'utterance-level'}; ${m.slice ?? 'no slice'}; ${m.defaultEpochs} epochs by default`);
  }
  const f = Math.max(...c.fusion.map((r) => r.name.length));
  lines.push('', 'late-fusion rules (fusion.rules: [...]):');
  for (const r of c.fusion) lines.push(`  ${pad(r.name, f)}  ${r.summary}${r.fitted ? ' [fitted on validation]' : ''}`);
  lines.push('', 'Your own: one file calling registerModel or registerFusionRule, named under `plugins:` (README, "Your own model or fusion rule").');
  return lines.join('\n');
}
