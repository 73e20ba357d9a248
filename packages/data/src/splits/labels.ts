import { InputError, type Corpus, type Split } from '@emofuse/core';

/**
 * Refuse a split in which a valid or test label is missing from the training part (a model cannot
 * learn a class it never sees, and each such utterance could only be scored wrong). Returns
 * warnings for classes missing from valid or test (UA there averages over fewer classes) or from
 * the whole split. makeSplit calls it for every split and fold.
 */
export function checkSplitLabels(corpus: Corpus, split: Pick<Split, 'train' | 'valid' | 'test'>, name = 'split'): string[] {
  const labelOf = new Map(corpus.utterances.map((u) => [u.id, u.label]));
  const count = (ids: string[]) => {
    const m = new Map<string, number>();
    for (const id of ids) {
      const l = labelOf.get(id);
      if (l !== undefined) m.set(l, (m.get(l) ?? 0) + 1);
    }
    return m;
  };
  const train = count(split.train);
  const valid = count(split.valid);
  const test = count(split.test);
  const missing = corpus.classes.filter((c) => !train.has(c) && (valid.has(c) || test.has(c)));
  if (missing.length) {
    const where = (c: string) => [valid.get(c) ? `valid ${valid.get(c)}` : '', test.get(c) ? `test ${test.get(c)}` : ''].filter(Boolean).join(', ');
    throw new InputError(
      `label${missing.length > 1 ? 's' : ''} ${missing.map((c) => `${c} (${where(c)})`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in the training part: ` +
        `the model could never predict ${missing.length > 1 ? 'them' : 'it'}, and every such utterance would be scored wrong`,
      {
        where: name,
        fix: 'choose a split whose training part has every class (another protocol, fold or held-out test), ' +
          'or merge or drop the class in the corpus (a manifest: its lines and its class list)',
      },
    );
  }
  const warnings: string[] = [];
  const unused = corpus.classes.filter((c) => !train.has(c));
  if (unused.length) warnings.push(`${name}: no utterance of ${unused.join(', ')} in any part; ${unused.length > 1 ? 'these classes stay' : 'this class stays'} untrained and unscored`);
  for (const [part, m] of [['valid', valid], ['test', test]] as const) {
    if (split[part].length === 0) continue;
    const absent = corpus.classes.filter((c) => !m.has(c) && !unused.includes(c));
    if (absent.length) warnings.push(`${name}: ${part} has no utterances of ${absent.join(', ')}; ${part} UA averages over the other ${corpus.classes.length - absent.length - unused.length} classes`);
  }
  return warnings;
}
