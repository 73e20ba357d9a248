import { EmofuseError } from './errors.ts';

/** One utterance, whatever corpus it came from. Every reader returns these. */
export interface Utterance {
  /** Stable, unique within the corpus. */
  id: string;
  /** The conversation or recording group it belongs to (used for whole-dialogue splits). */
  dialogue: string;
  /** Session or fold group (IEMOCAP session "Ses01"; EmoDB: the speaker). */
  session: string;
  /** Speaker id, unique within the corpus (IEMOCAP: "Ses01_F"). */
  speaker: string;
  /** Class label name (e.g. "hap"), one of the corpus's classes. */
  label: string;
  /** Transcript (may be empty when the corpus has none). */
  text: string;
  /** Path to the utterance's WAV file, when the corpus has audio. */
  wav?: string;
  /** Precomputed feature vectors by modality name ("text", "audio", "visual"). */
  vectors?: Record<string, Float32Array>;
  /**
   * Position within its dialogue (a sort key: 0, 1, 2 ... or a start time), when the reader knows
   * it; dialogue-level models (bc-LSTM) sort a dialogue's utterances by it.
   */
  order?: number;
}

/** A corpus as every reader returns it. */
export interface Corpus {
  name: string;
  /** Class names in a fixed order; posteriors and confusion matrices use this order. */
  classes: string[];
  utterances: Utterance[];
  /** A split shipped with the corpus, if any (IEMOCAP's train/valid/test dialogue lists). */
  officialSplit?: { train: string[]; valid: string[]; test: string[] };
  /** Where it was read from (for fingerprints and messages). */
  source: string;
}

/** Row-major feature matrix keyed by utterance id. */
export interface FeatureMatrix {
  ids: string[];
  dim: number;
  values: Float32Array;
}

/**
 * Sparse rows (CSR) keyed by utterance id: row r's non-zeros are `data[indptr[r]..indptr[r+1]]`
 * at columns `indices[...]`. TF-IDF vectors are ~99.9% zeros; dense they would not fit a run's
 * memory budget, so a model that cannot read them sparse densifies only the rows it needs.
 */
export interface SparseMatrix {
  ids: string[];
  dim: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
}

/** Variable-length sequences (e.g. word embeddings per utterance), padded to `steps`. */
export interface SequenceMatrix {
  ids: string[];
  steps: number;
  dim: number;
  /** ids.length * steps * dim, row-major, zero-padded. */
  values: Float32Array;
  /** Number of real (unpadded) steps per row. */
  lengths: Int32Array;
}

/**
 * Word sequences as indices into a vocabulary whose vectors a model embeds and may fine-tune
 * (features.text.trainable). `values` holds each step's row of `vocabulary.vectors` (0 is the
 * padding row, all zeros) and `dim` is 1; a model built for one vocabulary refuses another
 * (`vocabulary.fingerprint`).
 */
export interface TokenSequences extends SequenceMatrix {
  vocabulary: {
    /** Row r is the word of vectors row r; row 0 is padding ('<pad>'). */
    words: string[];
    dim: number;
    /** words.length * dim initial vectors (zeros for padding and for words the embeddings lack). */
    vectors: Float32Array;
    /** A hash of `words`: token ids mean the same words wherever this matches. */
    fingerprint: string;
  };
}

/** Class posteriors keyed by utterance id; each row sums to 1. */
export interface Posteriors {
  ids: string[];
  classes: string[];
  probs: Float32Array | Float64Array;
}

/** The ways a corpus is split into train, validation and test (the data package makes each). */
export const SPLIT_PROTOCOLS = ['official', 'paper', 'loso', 'loso-speaker', 'manifest', 'holdout'] as const;
export type SplitProtocol = (typeof SPLIT_PROTOCOLS)[number];

/** The corpus formats the data package reads. */
export const CORPUS_TYPES = ['iemocap', 'iemocap-features', 'iemocap-raw', 'emodb', 'manifest'] as const;
export type CorpusType = (typeof CORPUS_TYPES)[number];

/** Utterance ids per part. A fold of a cross-validation is one Split. */
export interface Split {
  train: string[];
  valid: string[];
  test: string[];
  protocol: SplitProtocol;
  seed: number;
  /** e.g. "Ses05" or "speaker 03" for one fold of leave-one-out. */
  fold?: string;
}

export function checkFeatureMatrix(m: FeatureMatrix, name = 'features'): FeatureMatrix {
  if (!Number.isInteger(m.dim) || m.dim <= 0) throw new EmofuseError(`dim must be a positive integer, got ${m.dim}`, { where: name });
  if (m.values.length !== m.ids.length * m.dim) {
    throw new EmofuseError(`values has ${m.values.length} numbers, expected ids.length * dim = ${m.ids.length} * ${m.dim}`, { where: name });
  }
  checkUniqueIds(m.ids, name);
  for (let i = 0; i < m.values.length; i++) {
    if (!Number.isFinite(m.values[i])) {
      throw new EmofuseError(`row ${Math.floor(i / m.dim)} (id ${m.ids[Math.floor(i / m.dim)]}) has a non-finite value at column ${i % m.dim}`, { where: name });
    }
  }
  return m;
}

export function checkUniqueIds(ids: string[], name: string): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new EmofuseError(`duplicate utterance id ${JSON.stringify(id)}`, { where: name });
    seen.add(id);
  }
}

/** Rows must be finite, non-negative and sum to 1 within `tol`. Names the system and the row. */
export function checkPosteriors(p: Posteriors, system = 'posteriors', tol = 1e-4): Posteriors {
  const k = p.classes.length;
  if (k < 2) throw new EmofuseError(`needs at least 2 classes, got ${k}`, { where: system });
  if (p.probs.length !== p.ids.length * k) {
    throw new EmofuseError(`probs has ${p.probs.length} numbers, expected ${p.ids.length} rows x ${k} classes`, { where: system });
  }
  checkUniqueIds(p.ids, system);
  for (let r = 0; r < p.ids.length; r++) {
    let s = 0;
    for (let c = 0; c < k; c++) {
      const v = p.probs[r * k + c];
      if (Number.isNaN(v)) throw new EmofuseError(`row ${r} (id ${p.ids[r]}) has NaN in class ${p.classes[c]}`, { where: system });
      if (!(v >= 0) || v === Infinity) throw new EmofuseError(`row ${r} (id ${p.ids[r]}) has an invalid probability ${v} for class ${p.classes[c]}`, { where: system });
      s += v;
    }
    if (Math.abs(s - 1) > tol) {
      throw new EmofuseError(`row ${r} (id ${p.ids[r]}) sums to ${s}, not 1`, { where: system, fix: 'pass softmax outputs, not logits' });
    }
  }
  return p;
}

/** Parts must be disjoint and non-empty for train and test. */
export function checkSplit(s: Split, name = 'split'): Split {
  if (s.train.length === 0) throw new EmofuseError('the training part is empty', { where: name });
  if (s.test.length === 0) throw new EmofuseError('the test part is empty', { where: name });
  const owner = new Map<string, string>();
  for (const part of ['train', 'valid', 'test'] as const) {
    for (const id of s[part]) {
      const prev = owner.get(id);
      if (prev) throw new EmofuseError(`utterance ${id} is in both ${prev} and ${part}`, { where: name });
      owner.set(id, part);
    }
  }
  return s;
}
