import { describe, expect, it } from 'vitest';
import { readIemocapPickle } from '../../src/corpora/index.ts';
import { formatSplitSummary, makeSplit, previewInputs, splitOptionsFromConfig } from '../../src/splits/index.ts';
import { expectEmofuseError, iemocapPkl } from '../corpora/helpers.ts';

describe('formatSplitSummary', () => {
  it('prints per-class counts and shares per part, in the corpus\'s class order, with totals', () => {
    const iemocap = readIemocapPickle(iemocapPkl);
    const text = formatSplitSummary(iemocap, makeSplit(iemocap, { protocol: 'official', seed: 1 }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('split official of iemocap, seed 1:');
    expect(lines[1]).toMatch(/^ {2}class +train +share +valid +share +test +share$/);
    expect(lines.slice(2, 8).map((l) => l.trim().split(/\s+/)[0])).toEqual(['hap', 'sad', 'neu', 'ang', 'exc', 'fru']);
    expect(lines[2]).toMatch(/^ {2}hap +\d+ +\d+\.\d% +\d+ +\d+\.\d% +144 +8\.9%$/);
    expect(lines[8]).toMatch(/^ {2}total +5163 +647 +1623$/);
    expect(lines[9]).toMatch(/^ {2}speakers +8 +8 +2$/);
    expect(lines[10]).toMatch(/^ {2}groups +108 +12 +31$/);
  });
});

describe('previewInputs (what run --dry-run reads)', () => {
  it('reads the corpus, splits every seed and returns the first seed\'s tables', () => {
    const p = previewInputs({ corpus: { type: 'iemocap', path: iemocapPkl, classes: null, name: null }, split: { protocol: 'loso', validFraction: 0.2, folds: ['Ses01', 'Ses05'] }, seeds: [1, 2] });
    expect(p.corpus.utterances).toHaveLength(7433);
    expect([...p.folds.keys()]).toEqual([1, 2]);
    expect(p.folds.get(2)!.map((s) => s.fold)).toEqual(['Ses01', 'Ses05']);
    expect(p.text).toMatch(/^corpus iemocap: 7433 utterances, 10 speakers, 6 classes in this order: hap 648, sad 1084, neu 1708, ang 1103, exc 1041, fru 1849/);
    expect(p.text).toContain('split loso fold Ses01 of iemocap, seed 1:');
    expect(p.text).toContain('split loso fold Ses05 of iemocap, seed 1:');
    expect(p.text).toContain('(seeds 2 were split and checked too');
  });

  it('passes holdout and speakerLeakage through, and reports warnings once', () => {
    const warnings: string[] = [];
    const cfg = { corpus: { type: 'iemocap', path: iemocapPkl }, split: { protocol: 'holdout', validFraction: 0.2, test: ['Ses05F_impro01'], speakerLeakage: 'warn' }, seeds: [1, 2, 3] };
    const p = previewInputs(cfg, { onWarning: (m) => warnings.push(m) });
    expect(p.folds.get(1)![0].protocol).toBe('holdout');
    expect(warnings.filter((w) => w.includes('speaker leakage accepted'))).toHaveLength(1);
    expectEmofuseError(() => previewInputs({ ...cfg, split: { ...cfg.split, speakerLeakage: 'refuse' } }), /speaker leakage/);
    expect(splitOptionsFromConfig({ protocol: 'paper', validFraction: 0.2, folds: 'all', test: null }, 4)).toEqual({ protocol: 'paper', validFraction: 0.2, seed: 4, folds: 'all' });
  });
});
