import { z } from 'zod';
import { InputError, asInputError, checkSplit, fingerprint, type Corpus, type Split } from '@emofuse/core';
import { SPLIT_PROTOCOLS } from '@emofuse/core';

/**
 * Fingerprint of a split's partition: the sorted ids of each part. Two splits with the same
 * parts have the same fingerprint whatever protocol or seed produced them.
 */
export function splitFingerprint(split: Pick<Split, 'train' | 'valid' | 'test'>): string {
  const sorted = (a: string[]) => [...a].sort();
  return fingerprint({ train: sorted(split.train), valid: sorted(split.valid), test: sorted(split.test) });
}

const SplitJsonSchema = z.object({
  format: z.literal('emofuse-split'),
  version: z.literal(1),
  protocol: z.enum(SPLIT_PROTOCOLS),
  seed: z.number().int(),
  fold: z.string().optional(),
  fingerprint: z.string(),
  corpus: z.object({ name: z.string(), source: z.string(), utterances: z.number().int() }).optional(),
  counts: z.object({ train: z.number().int(), valid: z.number().int(), test: z.number().int() }),
  train: z.array(z.string()),
  valid: z.array(z.string()),
  test: z.array(z.string()),
});
export type SplitJson = z.infer<typeof SplitJsonSchema>;

/** The JSON a run saves beside its results (`split.json`), so the split can be checked and reused. */
export function splitToJson(split: Split, corpus?: Corpus): SplitJson {
  return {
    format: 'emofuse-split',
    version: 1,
    protocol: split.protocol,
    seed: split.seed,
    ...(split.fold !== undefined ? { fold: split.fold } : {}),
    fingerprint: splitFingerprint(split),
    ...(corpus ? { corpus: { name: corpus.name, source: corpus.source, utterances: corpus.utterances.length } } : {}),
    counts: { train: split.train.length, valid: split.valid.length, test: split.test.length },
    train: [...split.train],
    valid: [...split.valid],
    test: [...split.test],
  };
}

/** Read a saved split back; refuses a file whose ids no longer match its fingerprint. */
export function splitFromJson(value: unknown, where = 'split.json'): Split {
  const r = SplitJsonSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`not an emofuse split: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { where, fix: 'pass a file written by splitToJson' });
  }
  const j = r.data;
  const split: Split = { train: j.train, valid: j.valid, test: j.test, protocol: j.protocol, seed: j.seed, ...(j.fold !== undefined ? { fold: j.fold } : {}) };
  const fp = splitFingerprint(split);
  if (fp !== j.fingerprint) {
    throw new InputError(`the ids do not match the recorded fingerprint (${j.fingerprint}, ids give ${fp}): the file was edited`, { where, fix: 'regenerate the split instead of editing it' });
  }
  try {
    return checkSplit(split, where);
  } catch (e) {
    throw asInputError(e);
  }
}
