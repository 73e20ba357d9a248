import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, checkUniqueIds, type Corpus, type Utterance } from '@emofuse/core';
import { checkCorpus } from './checkCorpus.ts';
import { asInput, decodeUtf8, readInputFile } from './files.ts';
import { IEMOCAP_CLASSES, iemocapSession, iemocapSpeaker } from './iemocap.ts';

/** `[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]`: the majority label. */
const EVAL_LINE = /^\[\s*([\d.]+)\s*-\s*([\d.]+)\s*\]\s+(Ses\S+)\s+(\S+)\s+\[/;
/** `Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me.` */
const TRANSCRIPT_LINE = /^(Ses\S+)\s+\[\s*([\d.]+)\s*-\s*([\d.]+)\s*\]:\s?(.*)$/;
const KEPT = new Set<string>(IEMOCAP_CLASSES);

function listDir(dir: string): string[] {
  return readdirSync(dir).filter((f) => !f.startsWith('.')).sort();
}

function readTranscripts(file: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(file)) return out;
  decodeUtf8(readInputFile(file, 'transcription file', 'restore the release\'s transcription file'), file).split(/\r?\n/).forEach((line) => {
    const m = TRANSCRIPT_LINE.exec(line.trim());
    if (m) out.set(m[1], m[4].trim());
  });
  return out;
}

/**
 * The IEMOCAP release tree: `Session*\/dialog/EmoEvaluation/<dialogue>.txt` (labels),
 * `Session*\/dialog/transcriptions/<dialogue>.txt` (text), `Session*\/sentences/wav/<dialogue>/<utt>.wav`.
 * Keeps utterances whose majority label is one of the six classes (hap, sad, neu, ang, exc, fru,
 * happiness and excitement kept apart as in the paper); `xxx` (no majority) and the other
 * categories (sur, fea, dis, oth) are dropped. Ids are the release's own (`Ses01F_impro01_F000`).
 * `order` is the position among the dialogue's kept utterances by start time.
 */
export function readIemocapRelease(root: string): Corpus {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new InputError('the IEMOCAP release folder does not exist', { where: root, fix: 'give the folder that holds Session1..Session5 as the corpus path' });
  }
  const sessions = listDir(root).filter((d) => /^Session\d+$/.test(d) && statSync(path.join(root, d)).isDirectory());
  if (sessions.length === 0) {
    throw new InputError('no Session* folders found', { where: root, fix: 'give the folder that holds Session1..Session5 (IEMOCAP_full_release) as the corpus path' });
  }
  const utterances: Utterance[] = [];
  for (const sess of sessions) {
    const evalDir = path.join(root, sess, 'dialog', 'EmoEvaluation');
    if (!existsSync(evalDir)) throw new InputError('missing dialog/EmoEvaluation folder', { where: path.join(root, sess), fix: 'restore the release layout' });
    for (const name of listDir(evalDir).filter((f) => f.endsWith('.txt'))) {
      const evalFile = path.join(evalDir, name);
      if (!statSync(evalFile).isFile()) continue;
      const dialogue = name.slice(0, -4);
      const session = iemocapSession(dialogue, evalFile);
      const transcriptFile = path.join(root, sess, 'dialog', 'transcriptions', name);
      const transcripts = readTranscripts(transcriptFile);
      const lines = decodeUtf8(readInputFile(evalFile, 'evaluation file', 'restore the release\'s EmoEvaluation file'), evalFile).split(/\r?\n/);
      const kept: { u: Utterance; start: number }[] = [];
      lines.forEach((line, i) => {
        const m = EVAL_LINE.exec(line);
        if (!m) return;
        const [, start, , id, label] = m;
        if (!KEPT.has(label)) return;
        const where = `${evalFile}:${i + 1}`;
        const gm = /_([FM])[^_]*$/.exec(id);
        if (!gm) throw new InputError(`utterance id ${id} has no speaker letter (F/M) in its last part`, { where, fix: 'use the release\'s own evaluation files' });
        const text = transcripts.get(id);
        if (text === undefined) {
          throw new InputError(`no transcription line for ${id}`, { where: transcriptFile, fix: `add a line "${id} [start-end]: text" or restore the release's transcription file` });
        }
        const wav = path.resolve(root, sess, 'sentences', 'wav', dialogue, `${id}.wav`);
        if (!existsSync(wav)) throw new InputError(`missing WAV file for ${id} (labelled at ${where})`, { where: wav, fix: 'restore sentences/wav from the release' });
        kept.push({ u: { id, dialogue, session, speaker: iemocapSpeaker(session, gm[1]), label, text, wav }, start: Number(start) });
      });
      // order: position among the dialogue's kept utterances by start time (stable for ties).
      [...kept].sort((a, b) => a.start - b.start).forEach((k, pos) => { k.u.order = pos; });
      for (const k of kept) utterances.push(k.u);
    }
  }
  if (utterances.length === 0) {
    throw new InputError('no utterance with one of the six labels was found in the EmoEvaluation files', { where: root, fix: 'check the release layout (Session*/dialog/EmoEvaluation/*.txt)' });
  }
  asInput(() => checkUniqueIds(utterances.map((u) => u.id), root));
  return checkCorpus({ name: 'iemocap-raw', classes: [...IEMOCAP_CLASSES], utterances, source: path.resolve(root) });
}
