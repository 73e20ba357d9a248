import { InputError, type Corpus } from '@emofuse/core';

/**
 * The runtime check every reader's result passes (and a manifest-built or hand-built corpus
 * should): unique non-empty ids, the grouping fields filled, labels among the classes, one vector
 * size per modality, and `order` either on every utterance or on none (finite, no two alike within
 * a dialogue). Names the corpus source and the utterance.
 */
export function checkCorpus(corpus: Corpus): Corpus {
  const where = corpus.source || corpus.name;
  if (corpus.utterances.length === 0) throw new InputError('the corpus has no utterances', { where, fix: 'check the corpus path' });
  if (new Set(corpus.classes).size !== corpus.classes.length || corpus.classes.length < 2) {
    throw new InputError(`classes must be at least 2 distinct names, got [${corpus.classes.join(', ')}]`, { where, fix: 'fix the classes option' });
  }
  const classes = new Set(corpus.classes);
  const seen = new Set<string>();
  const dims = new Map<string, number>();
  const withOrder = corpus.utterances.filter((u) => u.order !== undefined).length;
  const orders = new Map<string, string>();
  for (const [i, u] of corpus.utterances.entries()) {
    const at = `${where} [utterance ${i}${u.id ? ` ${u.id}` : ''}]`;
    for (const field of ['id', 'dialogue', 'session', 'speaker', 'label'] as const) {
      if (typeof u[field] !== 'string' || u[field] === '') throw new InputError(`empty ${field}`, { where: at, fix: `give every utterance a ${field}` });
    }
    if (typeof u.text !== 'string') throw new InputError('text must be a string (may be empty)', { where: at });
    if (seen.has(u.id)) throw new InputError(`duplicate utterance id ${JSON.stringify(u.id)}`, { where: at, fix: 'make ids unique' });
    seen.add(u.id);
    if (!classes.has(u.label)) throw new InputError(`label ${JSON.stringify(u.label)} is not one of ${corpus.classes.join(', ')}`, { where: at });
    if (withOrder > 0) {
      if (u.order === undefined) throw new InputError(`no order, but ${withOrder} other utterances have one`, { where: at, fix: 'give every utterance an order, or none' });
      if (typeof u.order !== 'number' || !Number.isFinite(u.order)) throw new InputError(`order must be a finite number, got ${String(u.order)}`, { where: at });
      const key = `${u.dialogue}\u0000${u.order}`;
      const other = orders.get(key);
      if (other !== undefined) throw new InputError(`order ${u.order} is also utterance ${other}'s in dialogue ${u.dialogue}`, { where: at, fix: 'give the utterances of one dialogue distinct positions' });
      orders.set(key, u.id);
    }
    for (const [mod, v] of Object.entries(u.vectors ?? {})) {
      const d = dims.get(mod) ?? v.length;
      if (v.length !== d) throw new InputError(`${mod} vector has ${v.length} numbers, others have ${d}`, { where: at });
      dims.set(mod, d);
    }
  }
  return corpus;
}
