import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, checkUniqueIds, type Corpus, type Utterance } from '@emofuse/core';
import { checkCorpus } from './checkCorpus.ts';
import { asInput, decodeUtf8, readInputFile } from './files.ts';

/** EmoDB's German emotion codes (letter 6 of the file name) -> our label names. */
export const EMODB_CODES: Readonly<Record<string, string>> = {
  W: 'ang', // Wut
  L: 'bor', // Langeweile
  E: 'dis', // Ekel
  A: 'fea', // Angst
  F: 'hap', // Freude
  N: 'neu', // neutral
  T: 'sad', // Trauer
};
/** Class order (alphabetical by English name). */
export const EMODB_CLASSES = ['ang', 'bor', 'dis', 'fea', 'hap', 'neu', 'sad'] as const;

/** `03a01Fa.wav`: speaker 03, sentence a01, emotion F, version a. */
const NAME = /^(\d{2})([ab]\d{2})([A-Z])([a-z])\.wav$/;

function readTsv(file: string, required: string[]): Record<string, string>[] {
  const text = decodeUtf8(readInputFile(file, path.basename(file), 'EmoDB needs speakers.tsv and transcripts.tsv beside wav/'), file);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InputError('the file is empty', { where: file, fix: `restore ${path.basename(file)} (a header line, then one line per entry)` });
  const header = lines[0].split('\t').map((h) => h.trim());
  for (const col of required) {
    if (!header.includes(col)) throw new InputError(`missing column ${col} (header: ${header.join(', ')})`, { where: `${file}:1`, fix: `add a ${col} column` });
  }
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? '').trim()]));
  });
}

/**
 * EmoDB (`<dir>/wav/*.wav`, `<dir>/speakers.tsv`, `<dir>/transcripts.tsv`). Labels and speakers
 * come from the file names; `text` is the German sentence. Each speaker is one group
 * (`dialogue` = `session` = speaker id "03"), so whole-group splits are speaker splits.
 */
export function readEmodb(dir: string): Corpus {
  const wavDir = path.join(dir, 'wav');
  if (!existsSync(wavDir) || !statSync(wavDir).isDirectory()) {
    throw new InputError('no wav/ folder', { where: dir, fix: 'give the EmoDB folder that holds wav/, speakers.tsv and transcripts.tsv as the corpus path' });
  }
  const speakers = new Set(readTsv(path.join(dir, 'speakers.tsv'), ['speaker']).map((r) => r.speaker));
  const sentences = new Map(readTsv(path.join(dir, 'transcripts.tsv'), ['code', 'text_de']).map((r) => [r.code, r.text_de]));
  const utterances: Utterance[] = [];
  for (const file of readdirSync(wavDir).sort()) {
    if (!file.toLowerCase().endsWith('.wav')) continue;
    const where = path.join(wavDir, file);
    const m = NAME.exec(file);
    if (!m) throw new InputError('file name does not follow EmoDB\'s <speaker 2 digits><sentence a01><emotion letter><version>.wav', { where, fix: 'rename it or remove it from wav/' });
    const [, speaker, code, emotion] = m;
    const label = EMODB_CODES[emotion];
    if (!label) throw new InputError(`unknown emotion code ${emotion} (known: ${Object.keys(EMODB_CODES).join(', ')})`, { where, fix: 'rename it or remove it from wav/' });
    if (!speakers.has(speaker)) throw new InputError(`speaker ${speaker} is not listed in speakers.tsv`, { where, fix: 'add the speaker to speakers.tsv' });
    const text = sentences.get(code);
    if (text === undefined) throw new InputError(`sentence ${code} is not listed in transcripts.tsv`, { where, fix: 'add the sentence to transcripts.tsv' });
    utterances.push({ id: file.slice(0, -4), dialogue: speaker, session: speaker, speaker, label, text, wav: path.resolve(where) });
  }
  if (utterances.length === 0) throw new InputError('no .wav files', { where: wavDir, fix: 'give the EmoDB folder as the corpus path' });
  asInput(() => checkUniqueIds(utterances.map((u) => u.id), wavDir));
  return checkCorpus({ name: 'emodb', classes: [...EMODB_CLASSES], utterances, source: path.resolve(dir) });
}
