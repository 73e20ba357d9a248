import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIemocapRelease } from '../../src/corpora/index.ts';
import { makeSplit } from '../../src/splits/index.ts';
import { expectEmofuseError, removeTempDirs, tempDir, writeText, writeWav } from './helpers.ts';

afterAll(removeTempDirs);

// [utterance id, majority label, transcript, start, end]
type Row = [string, string, string, number, number];
const DIALOGUES: Record<string, Row[]> = {
  Ses01F_impro01: [
    ['Ses01F_impro01_F000', 'neu', 'Excuse me.', 6.2901, 8.2357],
    ['Ses01F_impro01_M000', 'fru', 'Do you have your forms?', 8.5, 10.1],
    ['Ses01F_impro01_F001', 'xxx', 'Yeah.', 10.2, 11.0],
    ['Ses01F_impro01_M001', 'ang', 'Let me see them.', 11.1, 12.9],
    ['Ses01F_impro01_F002', 'sur', 'Is there a problem?', 13.0, 14.2],
  ],
  Ses01M_script01_1: [
    ['Ses01M_script01_1_F000', 'exc', 'I got the job!', 1.0, 2.5],
    ['Ses01M_script01_1_M000', 'hap', 'That is wonderful.', 2.6, 4.0],
    ['Ses01M_script01_1_F001', 'oth', 'Hmm.', 4.1, 4.6],
  ],
  Ses05F_impro02: [
    ['Ses05F_impro02_M000', 'neu', 'What is it?', 0.5, 1.4],
    ['Ses05F_impro02_F000', 'sad', 'um.', 1.5, 2.0],
    ['Ses05F_impro02_F001', 'sad', "I'm sorry.", 2.1, 3.3],
  ],
};

const t = (x: number) => x.toFixed(4);
const t3 = (x: number) => x.toFixed(4).padStart(8, '0');

/** A miniature release tree in the official line formats, with real (tiny) WAV files. */
function writeRelease(root: string, { skipWav, skipTranscript }: { skipWav?: string; skipTranscript?: string } = {}): void {
  for (const [dialogue, rows] of Object.entries(DIALOGUES)) {
    const sess = `Session${Number(dialogue.slice(3, 5))}`;
    const evalLines = ['% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]', ''];
    const transLines: string[] = [];
    for (const [id, label, text, s, e] of rows) {
      evalLines.push(`[${t(s)} - ${t(e)}]\t${id}\t${label}\t[2.5000, 2.5000, 2.5000]`);
      evalLines.push('C-E1:\tNeutral;\t()', 'C-E3:\tFrustration; Anger;\t()', 'A-E1:\tval 3; act 2; dom  2;\t()', '');
      if (id !== skipTranscript) transLines.push(`${id} [${t3(s)}-${t3(e)}]: ${text}`);
      if (id !== skipWav) writeWav(path.join(root, sess, 'sentences', 'wav', dialogue, `${id}.wav`), { seconds: e - s > 1 ? 0.1 : 0.05 });
    }
    transLines.splice(1, 0, 'M: [BREATHING]');
    writeText(path.join(root, sess, 'dialog', 'EmoEvaluation', `${dialogue}.txt`), evalLines.join('\n') + '\n');
    writeText(path.join(root, sess, 'dialog', 'transcriptions', `${dialogue}.txt`), transLines.join('\r\n') + '\r\n');
  }
  // Sub-folders of EmoEvaluation (Categorical/, Attribute/) are not label files.
  writeText(path.join(root, 'Session1', 'dialog', 'EmoEvaluation', 'Categorical', 'Ses01F_impro01_e1_cat.txt'), 'Ses01F_impro01_F000 :Neutral state; ()\n');
}

describe('readIemocapRelease', () => {
  let root: string;
  beforeAll(() => {
    root = tempDir('release');
    writeRelease(root);
  });

  it('keeps the six classes, drops xxx and other categories, in file order', () => {
    const c = readIemocapRelease(root);
    expect(c.name).toBe('iemocap-raw');
    expect(c.classes).toEqual(['hap', 'sad', 'neu', 'ang', 'exc', 'fru']);
    expect(c.utterances.map((u) => [u.id, u.label])).toEqual([
      ['Ses01F_impro01_F000', 'neu'], ['Ses01F_impro01_M000', 'fru'], ['Ses01F_impro01_M001', 'ang'],
      ['Ses01M_script01_1_F000', 'exc'], ['Ses01M_script01_1_M000', 'hap'],
      ['Ses05F_impro02_M000', 'neu'], ['Ses05F_impro02_F000', 'sad'], ['Ses05F_impro02_F001', 'sad'],
    ]);
    expect(c.officialSplit).toBeUndefined();
    // order: position among the dialogue's kept utterances (by start time).
    expect(c.utterances.map((u) => u.order)).toEqual([0, 1, 2, 0, 1, 0, 1, 2]);
  });

  it('fills dialogue, session, speaker, text and an existing WAV path', () => {
    const c = readIemocapRelease(root);
    const u = c.utterances.find((x) => x.id === 'Ses05F_impro02_M000')!;
    expect(u).toMatchObject({ dialogue: 'Ses05F_impro02', session: 'Ses05', speaker: 'Ses05_M', text: 'What is it?' });
    expect(u.wav).toBe(path.join(root, 'Session5', 'sentences', 'wav', 'Ses05F_impro02', 'Ses05F_impro02_M000.wav'));
    for (const x of c.utterances) {
      expect(existsSync(x.wav!)).toBe(true);
      expect(readFileSync(x.wav!).subarray(0, 4).toString('ascii')).toBe('RIFF');
    }
    expect(c.utterances.find((x) => x.id === 'Ses01F_impro01_M000')!.speaker).toBe('Ses01_M');
  });

  it('supports the paper split: session 5 is the test set', () => {
    const c = readIemocapRelease(root);
    // The toy tree lacks some classes in training; this test is about the session split only.
    const s = makeSplit(c, { protocol: 'paper', seed: 1, validFraction: 0.2, checkLabels: false });
    expect(s.test).toEqual(['Ses05F_impro02_M000', 'Ses05F_impro02_F000', 'Ses05F_impro02_F001']);
    expect(s.train.length + s.valid.length).toBe(5);
  });

  it('names the missing WAV file', () => {
    const r = tempDir('release-nowav');
    writeRelease(r, { skipWav: 'Ses01M_script01_1_M000' });
    expectEmofuseError(() => readIemocapRelease(r), /missing WAV file for Ses01M_script01_1_M000 \(labelled at .*Ses01M_script01_1\.txt:\d+\)/,
      path.join(r, 'Session1', 'sentences', 'wav', 'Ses01M_script01_1', 'Ses01M_script01_1_M000.wav'));
  });

  it('names a missing transcription line and a missing tree', () => {
    const r = tempDir('release-notrans');
    writeRelease(r, { skipTranscript: 'Ses05F_impro02_F001' });
    expectEmofuseError(() => readIemocapRelease(r), /no transcription line for Ses05F_impro02_F001/, path.join(r, 'Session5', 'dialog', 'transcriptions', 'Ses05F_impro02.txt'));
    rmSync(path.join(r, 'Session1'), { recursive: true });
    rmSync(path.join(r, 'Session5'), { recursive: true });
    expectEmofuseError(() => readIemocapRelease(r), /no Session\* folders/, r);
  });
});
