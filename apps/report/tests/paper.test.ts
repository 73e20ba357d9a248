import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, checkReportInput, decidePaperComparison, loadReference, type ReportRunLike } from '../src/index.ts';
import { fixtureRuns, fixtureSystemRuns } from './fixtures.ts';

const reference = loadReference();
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-paper-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const decide = (runs: ReportRunLike[], split = 'test', comparePaper?: boolean) => decidePaperComparison(checkReportInput({ runs }).runs, reference, split, comparePaper);

describe('whether the paper numbers apply: decided from the runs, not the experiment name', () => {
  it('applies to IEMOCAP runs with the paper\'s 6 classes, whatever the experiment is called', () => {
    expect(decide(fixtureRuns())).toEqual({ applies: true, reason: 'every run is on iemocap-features with the paper\'s 6 classes (hap, sad, neu, ang, exc, fru)' });
    const named = fixtureRuns().map((r) => ({ ...r, experiment: 'emodb-lookalike' }));
    expect(decide(named).applies).toBe(true);
  });

  it('does not apply to another corpus, even in an experiment named like IEMOCAP', () => {
    const d = decide(fixtureSystemRuns({ experiment: 'iemocap-paper' }));
    expect(d).toEqual({ applies: false, reason: 'runs on emodb, not IEMOCAP' });
    // comparePaper: true (what callers passed so far) does not force it either.
    expect(decide(fixtureSystemRuns({ experiment: 'iemocap-paper' }), 'test', true).applies).toBe(false);
  });

  it('does not apply to IEMOCAP with other classes (4-class setting), nor cross-validated, nor untagged, nor on validation', () => {
    const four = fixtureSystemRuns({ corpus: 'iemocap', protocol: 'paper', classes: ['ang', 'hap', 'neu', 'sad'] });
    expect(decide(four).reason).toMatch(/has the classes ang, hap, neu, sad, not the paper's 6 \(hap, sad, neu, ang, exc, fru\)/);
    const six = ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'];
    expect(decide(fixtureSystemRuns({ corpus: 'iemocap', protocol: 'loso', classes: six })).reason).toMatch(/split protocol loso \(cross-validation\)/);
    expect(decide(fixtureSystemRuns({ corpus: 'iemocap', protocol: 'paper', classes: six })).applies).toBe(true);
    const untagged = fixtureRuns().map((r) => ({ ...r, tags: {} }));
    expect(decide(untagged).reason).toMatch(/do not record their corpus \(tag emofuse.corpus\)/);
    const noClasses = fixtureRuns().map((r) => ({ ...r, confusion: undefined }));
    expect(decide(noClasses).reason).toMatch(/record no classes/);
    expect(decide(fixtureRuns(), 'valid').reason).toMatch(/test-split scores; this report is on the valid split/);
    expect(decide(fixtureRuns(), 'test', false).applies).toBe(false);
  });

  it('an EmoDB report has no paper rows, no empty paper columns and no paper legend entries', async () => {
    const p = await buildReport({ input: { runs: fixtureSystemRuns() }, outDir: path.join(tmp, 'emodb'), title: 'EmoDB' });
    const md = readFileSync(p.summary, 'utf8');
    expect(md).not.toMatch(/cited|Table 2|Table 3|LSTM|ICON/);
    expect(md.split('\n').find((l) => l.startsWith('|system|'))).toBe('|system|source|level|n|UA|WA|weighted F1|');
    expect(md).toContain('Paper comparison: not shown: runs on emodb, not IEMOCAP.');
    const spec = JSON.parse(readFileSync(p.specs.comparison, 'utf8'));
    expect(spec.spec.layer[0].encoding.color.scale.domain).toEqual(['measured here', 'test labels']);
    expect(spec.data.values.some((v: { kind: string }) => v.kind.startsWith('cited'))).toBe(false);
    const html = readFileSync(p.html, 'utf8');
    expect(html).not.toContain('paper row');
    expect(html).toContain('Paper comparison not shown: runs on emodb, not IEMOCAP.');
    expect(JSON.parse(readFileSync(p.json, 'utf8')).paperComparison).toEqual({ applies: false, reason: 'runs on emodb, not IEMOCAP' });
  });
});
