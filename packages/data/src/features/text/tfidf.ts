/**
 * TF-IDF vectors of word n-grams, fitted on a fold's training transcripts only: the vocabulary
 * and the idf come from the training part and are applied unchanged to validation and test.
 * The defaults are scikit-learn's TfidfVectorizer (lower-case, tokens of two or more word
 * characters, smooth idf = ln((1 + n) / (1 + df)) + 1, raw counts, rows L2-normalised), so a
 * logistic regression on them is comparable with the usual reference. Rows are sparse (CSR).
 */
import { EmofuseError, type SparseMatrix } from '@emofuse/core';
import { tokenize } from './tokenize.ts';

export interface TfidfOptions {
  /** Smallest and largest n of the word n-grams (sklearn's ngram_range). */
  ngrams: [number, number];
  /** Keep an n-gram only if at least this many training utterances have it. */
  minDf: number;
  /** Keep only the most frequent n-grams over the training part (null: all). */
  maxFeatures: number | null;
  /** 1 + ln(tf) instead of the raw count. */
  sublinearTf: boolean;
  /** 'sklearn': scikit-learn's default token pattern; 'emofuse': the word tokenizer of the embeddings. */
  tokens: 'sklearn' | 'emofuse';
}

export interface TfidfJSON {
  kind: 'tfidf';
  options: TfidfOptions;
  /** Column j is terms[j]. */
  terms: string[];
  idf: number[];
}

export const TFIDF_DEFAULTS: TfidfOptions = { ngrams: [1, 2], minDf: 1, maxFeatures: null, sublinearTf: false, tokens: 'sklearn' };

// sklearn's token_pattern r"(?u)\b\w\w+\b" (Unicode letters and digits, as Python's \w).
const SKLEARN_TOKEN = /[\p{L}\p{N}_][\p{L}\p{N}_]+/gu;

function words(text: string, how: TfidfOptions['tokens']): string[] {
  return how === 'sklearn' ? (text.toLowerCase().match(SKLEARN_TOKEN) ?? []) : tokenize(text);
}

function ngramsOf(text: string, o: TfidfOptions): string[] {
  const w = words(text, o.tokens);
  const out: string[] = [];
  for (let n = o.ngrams[0]; n <= o.ngrams[1]; n++) {
    for (let i = 0; i + n <= w.length; i++) out.push(n === 1 ? w[i] : w.slice(i, i + n).join(' '));
  }
  return out;
}

export class TfidfVectorizer {
  readonly kind = 'tfidf';
  private terms?: string[];
  private index?: Map<string, number>;
  private idf?: Float64Array;
  readonly options: TfidfOptions;
  constructor(options: Partial<TfidfOptions> = {}) {
    this.options = { ...TFIDF_DEFAULTS, ...options };
    const [lo, hi] = this.options.ngrams;
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo)) {
      throw new EmofuseError(`n-gram range [${lo}, ${hi}] is not a range of positive integers`, { where: 'tfidf', fix: 'give [min, max] with 1 <= min <= max, e.g. [1, 2]' });
    }
  }
  get fitted(): boolean {
    return this.terms !== undefined;
  }
  get dim(): number {
    if (!this.terms) throw new EmofuseError('the tfidf transform is used before fit()', { where: 'tfidf' });
    return this.terms.length;
  }
  /** Vocabulary and idf from the training transcripts only. */
  fit(train: readonly string[]): this {
    if (train.length === 0) throw new EmofuseError('cannot fit on an empty training part', { where: 'tfidf.fit(train)' });
    const df = new Map<string, number>();
    const tf = new Map<string, number>();
    for (const text of train) {
      const grams = ngramsOf(text, this.options);
      for (const g of grams) tf.set(g, (tf.get(g) ?? 0) + 1);
      for (const g of new Set(grams)) df.set(g, (df.get(g) ?? 0) + 1);
    }
    let terms = [...df.keys()].filter((g) => df.get(g)! >= this.options.minDf);
    if (this.options.maxFeatures !== null && terms.length > this.options.maxFeatures) {
      // sklearn: the most frequent over the corpus, ties by term order.
      terms = terms.sort((a, b) => tf.get(b)! - tf.get(a)! || (a < b ? -1 : a > b ? 1 : 0)).slice(0, this.options.maxFeatures);
    }
    terms.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (terms.length === 0) {
      throw new EmofuseError('the training transcripts give no n-gram', { where: 'tfidf.fit(train)', fix: 'check that the corpus has transcripts, or lower minDf' });
    }
    const n = train.length;
    this.setState(terms, terms.map((g) => Math.log((1 + n) / (1 + df.get(g)!)) + 1));
    return this;
  }
  private setState(terms: string[], idf: number[]): void {
    this.terms = terms;
    this.index = new Map(terms.map((g, j) => [g, j]));
    this.idf = Float64Array.from(idf);
  }
  /** One L2-normalised sparse row per text; n-grams outside the training vocabulary are ignored. */
  apply(ids: readonly string[], texts: readonly string[]): SparseMatrix {
    if (!this.index || !this.idf) throw new EmofuseError('the tfidf transform is used before fit()', { where: 'tfidf' });
    if (ids.length !== texts.length) throw new EmofuseError(`got ${texts.length} texts for ${ids.length} ids`, { where: 'tfidf.apply' });
    const indptr = new Int32Array(ids.length + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    texts.forEach((text, r) => {
      const counts = new Map<number, number>();
      for (const g of ngramsOf(text, this.options)) {
        const j = this.index!.get(g);
        if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
      }
      const row = [...counts.entries()].sort((a, b) => a[0] - b[0]);
      let norm = 0;
      const w = row.map(([j, c]) => {
        const v = (this.options.sublinearTf ? 1 + Math.log(c) : c) * this.idf![j];
        norm += v * v;
        return v;
      });
      norm = Math.sqrt(norm) || 1;
      row.forEach(([j], q) => { cols.push(j); vals.push(w[q] / norm); });
      indptr[r + 1] = cols.length;
    });
    return { ids: [...ids], dim: this.terms!.length, indptr, indices: Int32Array.from(cols), data: Float32Array.from(vals) };
  }
  toJSON(): TfidfJSON {
    if (!this.terms) throw new EmofuseError('the tfidf transform is used before fit()', { where: 'tfidf' });
    return { kind: 'tfidf', options: this.options, terms: this.terms.slice(), idf: Array.from(this.idf!) };
  }
  static fromJSON(j: TfidfJSON): TfidfVectorizer {
    if (j.terms.length !== j.idf.length) throw new EmofuseError('terms and idf have different lengths', { where: 'tfidf transform JSON' });
    const t = new TfidfVectorizer(j.options);
    t.setState(j.terms, j.idf);
    return t;
  }
}
