import path from 'node:path';
import { InputError, checkUniqueIds, type Corpus, type Utterance } from '@emofuse/core';
import { checkCorpus } from './checkCorpus.ts';
import { asInput } from './files.ts';
import { NdArray, loadPickle, py2Text } from './pickle.ts';
import {
  IEMOCAP_CLASSES, asRecord, asStringList, checkListedDialogues, genderLetter, iemocapSession, iemocapSpeaker, labelName,
} from './iemocap.ts';

const MODALITIES = [
  ['text', 3, 'videoText'],
  ['audio', 4, 'videoAudio'],
  ['visual', 5, 'videoVisual'],
] as const;

/** One vector per utterance, from a list of 1-D arrays, one 2-D array, or plain lists of numbers. */
function vectorRows(value: unknown, where: string): Float32Array[] {
  if (value instanceof NdArray) {
    try {
      return value.rows();
    } catch (e) {
      throw new InputError((e as Error).message, { where, fix: 'pass the original pickle', cause: e });
    }
  }
  if (!Array.isArray(value)) throw new InputError(`expected a list of vectors or a 2-D array, got ${typeof value}`, { where, fix: 'pass the original pickle' });
  return value.map((row, i) => {
    if (row instanceof NdArray) {
      if (row.shape.length > 1 && row.shape.filter((d) => d !== 1).length > 1) {
        throw new InputError(`vector ${i} has shape (${row.shape.join(', ')}), expected one vector`, { where, fix: 'pass the original pickle' });
      }
      return Float32Array.from(row.data as ArrayLike<number>);
    }
    if (Array.isArray(row)) return Float32Array.from(row.map(Number));
    throw new InputError(`vector ${i} is a ${typeof row}, not an array`, { where, fix: 'pass the original pickle' });
  });
}

/**
 * The community's `IEMOCAP_features_raw.pkl` 9-tuple (videoIDs, videoSpeakers, videoLabels,
 * videoText, videoAudio, videoVisual, videoSentence, trainVid, testVid), Python 2 or 3, numpy 1 or 2.
 * Ids are the release's own utterance ids (`Ses01F_impro01_F000`); vectors go to
 * `utterance.vectors.text/audio/visual`. The file has no validation list: `officialSplit.valid` is
 * empty and the split takes validation dialogues out of training. `order` is the utterance's
 * position in its dialogue's lists.
 */
export function readIemocapFeaturesPickle(file: string): Corpus {
  const data = loadPickle(file);
  if (!Array.isArray(data) || data.length !== 9) {
    throw new InputError(`expected a 9-tuple (videoIDs, videoSpeakers, videoLabels, videoText, videoAudio, videoVisual, videoSentence, trainVid, testVid), got ${Array.isArray(data) ? `${data.length} items` : typeof data}`, {
      where: file,
      fix: 'pass IEMOCAP_features_raw.pkl; the 6-item iemocap.pkl is read as corpus type iemocap',
    });
  }
  const ids = asRecord(data[0], 'videoIDs', file);
  const speakers = asRecord(data[1], 'videoSpeakers', file);
  const labels = asRecord(data[2], 'videoLabels', file);
  const sentences = asRecord(data[6], 'videoSentence', file);
  const mods = MODALITIES.map(([name, idx, field]) => [name, asRecord(data[idx], field, file), field] as const);
  const train = asStringList(data[7], 'trainVid', file).map(py2Text);
  const test = asStringList(data[8], 'testVid', file).map(py2Text);

  const dims = new Map<string, number>();
  const utterances: Utterance[] = [];
  for (const key of Object.keys(ids).sort()) {
    const dialogue = py2Text(key);
    const where = `${file} [dialogue ${dialogue}]`;
    const session = iemocapSession(dialogue, where);
    const uttIds = ids[key];
    if (!Array.isArray(uttIds)) throw new InputError('videoIDs entry is not a list', { where, fix: 'pass the original pickle' });
    const n = uttIds.length;
    const field = (name: string, v: unknown): unknown[] => {
      const arr = v instanceof NdArray ? Array.from(v.data as ArrayLike<number>) : v;
      if (!Array.isArray(arr) || arr.length !== n) {
        throw new InputError(`${name} has ${Array.isArray(arr) ? arr.length : 'no'} entries, videoIDs has ${n}`, { where, fix: 'pass the original pickle' });
      }
      return arr;
    };
    const g = field('videoSpeakers', speakers[key]);
    const l = field('videoLabels', labels[key]);
    const s = field('videoSentence', sentences[key]);
    const vecs = mods.map(([name, rec, fieldName]) => {
      const rows = vectorRows(rec[key], `${where} [${fieldName}]`);
      field(fieldName, rows);
      for (const r of rows) {
        const d = dims.get(name) ?? r.length;
        if (r.length !== d) throw new InputError(`${fieldName} vectors have ${r.length} numbers here but ${d} elsewhere`, { where, fix: 'pass the original pickle' });
        dims.set(name, d);
      }
      return [name, rows] as const;
    });
    for (let i = 0; i < n; i++) {
      const at = `${where} [utterance ${i}]`;
      utterances.push({
        id: py2Text(uttIds[i]),
        dialogue,
        session,
        speaker: iemocapSpeaker(session, genderLetter(py2Text(g[i]), at)),
        label: labelName(l[i], at),
        text: py2Text(s[i]),
        vectors: Object.fromEntries(vecs.map(([name, rows]) => [name, rows[i]])),
        order: i,
      });
    }
  }
  asInput(() => checkUniqueIds(utterances.map((u) => u.id), file));
  checkListedDialogues(new Set(utterances.map((u) => u.dialogue)), { trainVid: train, testVid: test }, file);
  return checkCorpus({
    name: 'iemocap-features',
    classes: [...IEMOCAP_CLASSES],
    utterances,
    officialSplit: { train: train.sort(), valid: [], test: test.sort() },
    source: path.resolve(file),
  });
}
