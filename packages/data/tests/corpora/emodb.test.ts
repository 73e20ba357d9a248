import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EMODB_CLASSES, readEmodb } from '../../src/corpora/index.ts';
import { emodbDir, expectEmofuseError, removeTempDirs, tempDir, writeText, writeWav } from './helpers.ts';

afterAll(removeTempDirs);

describe('readEmodb', () => {
  const c = readEmodb(emodbDir);

  it('reads 535 files with the documented label counts and 10 speakers', () => {
    expect(c.name).toBe('emodb');
    expect(c.classes).toEqual([...EMODB_CLASSES]);
    expect(c.utterances).toHaveLength(535);
    const counts = Object.fromEntries(c.classes.map((k) => [k, c.utterances.filter((u) => u.label === k).length]));
    expect(counts).toEqual({ ang: 127, bor: 81, neu: 79, hap: 71, fea: 69, sad: 62, dis: 46 });
    expect([...new Set(c.utterances.map((u) => u.speaker))].sort()).toEqual(['03', '08', '09', '10', '11', '12', '13', '14', '15', '16']);
  });

  it('takes id, speaker, label from the file name and the German text from transcripts.tsv', () => {
    const u = c.utterances.find((x) => x.id === '03a01Fa')!;
    expect(u).toEqual({
      id: '03a01Fa', dialogue: '03', session: '03', speaker: '03', label: 'hap',
      text: 'Der Lappen liegt auf dem Eisschrank.', wav: path.join(emodbDir, 'wav', '03a01Fa.wav'),
    });
    expect(c.utterances.find((x) => x.id === '03a01Wa')!.label).toBe('ang');
    expect(c.utterances.every((x) => existsSync(x.wav!))).toBe(true);
    expect(new Set(c.utterances.map((x) => x.text)).size).toBe(10);
  });

  function tinyEmodb(files: string[], speakers = ['03']): string {
    const dir = tempDir('emodb');
    writeText(path.join(dir, 'speakers.tsv'), ['speaker\tsex\tage', ...speakers.map((s) => `${s}\tm\t31`)].join('\n') + '\n');
    writeText(path.join(dir, 'transcripts.tsv'), 'code\ttext_de\tgloss_en\na01\tDer Lappen liegt auf dem Eisschrank.\tThe tablecloth is lying on the fridge.\n');
    for (const f of files) writeWav(path.join(dir, 'wav', f));
    return dir;
  }

  it('refuses badly named files, unknown codes, speakers and sentences, naming the file', () => {
    expect(readEmodb(tinyEmodb(['03a01Fa.wav', '03a01Td.wav'])).utterances.map((u) => u.label)).toEqual(['hap', 'sad']);
    expectEmofuseError(() => readEmodb(tinyEmodb(['03a01Fa.wav', 'take1.wav'])), /file name does not follow/, /wav\/take1\.wav$/);
    expectEmofuseError(() => readEmodb(tinyEmodb(['03a01Xa.wav'])), /unknown emotion code X/, /03a01Xa\.wav$/);
    expectEmofuseError(() => readEmodb(tinyEmodb(['08a01Fa.wav'])), /speaker 08 is not listed in speakers\.tsv/, /08a01Fa\.wav$/);
    expectEmofuseError(() => readEmodb(tinyEmodb(['03b09Fa.wav'])), /sentence b09 is not listed/, /03b09Fa\.wav$/);
    expectEmofuseError(() => readEmodb(tempDir('emodb-empty')), /no wav\/ folder/);
  });
});
