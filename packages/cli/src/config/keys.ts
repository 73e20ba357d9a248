import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { configSchema } from './schema.ts';

/** What the schema allows below one key path: an object's keys, a free-form record, or a leaf. */
export type KeyLevel = { kind: 'object'; keys: string[] } | { kind: 'record' } | { kind: 'leaf' };

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  while (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault) {
    cur = cur.unwrap() as z.ZodType;
  }
  return cur;
}

function levelOf(s: z.ZodType): KeyLevel {
  const u = unwrap(s);
  if (u instanceof z.ZodObject) return { kind: 'object', keys: Object.keys(u.shape) };
  if (u instanceof z.ZodRecord) return { kind: 'record' };
  return { kind: 'leaf' };
}

function childOf(s: z.ZodType, key: string): z.ZodType | undefined {
  const u = unwrap(s);
  if (u instanceof z.ZodObject) return (u.shape as Record<string, z.ZodType>)[key];
  if (u instanceof z.ZodRecord) return u.valueType as z.ZodType;
  return undefined;
}

/**
 * The option `bad` most likely means: one equal to it under `norm` (default: case folded), else the
 * closest within a third of its length (at least 2 edits); undefined when none is that near.
 */
export function nearest(bad: string, options: readonly string[], norm = (x: string) => x.toLowerCase()): string | undefined {
  if (options.length === 0) return undefined;
  const same = options.find((o) => norm(o) === norm(bad));
  if (same !== undefined) return same;
  const best = closest(bad, options as string[]);
  return distance(bad, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** "did you mean `epochs`?" for a near miss, else the list of valid keys. */
export function suggestKey(bad: string, valid: readonly string[]): string {
  if (valid.length === 0) return 'this level takes no keys';
  const near = nearest(bad, valid);
  if (near !== undefined) return `did you mean \`${near}\`?`;
  // The right key at the wrong level (train.lstmUnits): point to where it lives.
  const elsewhere = allKeyPaths().filter((k) => k.split('.').pop()!.toLowerCase() === bad.toLowerCase());
  if (elsewhere.length) return `\`${bad}\` lives at ${elsewhere.map((k) => `\`${k}\``).join(' or ')}; valid keys here: ${valid.join(', ')}`;
  return `valid keys here: ${valid.join(', ')}`;
}

export interface KeyProblem {
  /** Path of the unknown key itself, e.g. ['train', 'epoch']. */
  path: string[];
  /** Keys valid at that level. */
  valid: string[];
  suggestion: string;
}

/**
 * Check a dotted key path (`model.text.lstmUnits`) against the config tree.
 * Returns null when valid, else which segment is wrong and what would be right.
 */
export function checkKeyPath(keyPath: string | string[], schema: z.ZodType = configSchema()): KeyProblem | null {
  const parts = Array.isArray(keyPath) ? keyPath : keyPath.split('.');
  let cur: z.ZodType = schema;
  for (let i = 0; i < parts.length; i++) {
    const level = levelOf(cur);
    const part = parts[i];
    if (level.kind === 'record') {
      cur = childOf(cur, part)!;
      continue;
    }
    const valid = level.kind === 'object' ? level.keys : [];
    if (part === '' || !valid.includes(part)) {
      return { path: parts.slice(0, i + 1), valid, suggestion: suggestKey(part, valid) };
    }
    cur = childOf(cur, part)!;
  }
  return null;
}

/** Every unknown key in a partial config object (one YAML file or one --set), depth first. */
export function findUnknownKeys(value: unknown, schema: z.ZodType = configSchema(), at: string[] = []): KeyProblem[] {
  if (!isPlainObject(value)) return [];
  const level = levelOf(schema);
  if (level.kind !== 'object') return [];
  const out: KeyProblem[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (!level.keys.includes(k)) {
      out.push({ path: [...at, k], valid: level.keys, suggestion: suggestKey(k, level.keys) });
      continue;
    }
    out.push(...findUnknownKeys(v, childOf(schema, k)!, [...at, k]));
  }
  return out;
}

/** All leaf key paths of the config tree (for help texts and tests). */
export function allKeyPaths(schema: z.ZodType = configSchema(), at: string[] = []): string[] {
  const level = levelOf(schema);
  if (level.kind !== 'object') return [at.join('.')];
  return level.keys.flatMap((k) => allKeyPaths(childOf(schema, k)!, [...at, k]));
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}
