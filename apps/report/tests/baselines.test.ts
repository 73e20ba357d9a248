import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, checkReportInput, contextOf, entryLabel, loadReference, resultEntries, seedRows, summarise } from '../src/index.ts';
import { fixtureRuns, fixtureSystemRuns } from './fixtures.ts';

const SIX = ['hap', 'sad', 'neu', 'ang', 'exc', 'fru'];
const iemocap = { corpus: 'iemocap-features', protocol: 'paper', experiment: 'iemocap-paper', classes: SIX };
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-baselines-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Measured baselines beside ours: tfn, bc-lstm text (no context tag: an older run) and speech (tagged). */
function withBaselines() {
  return [
    ...fixtureRuns(),
    ...fixtureSystemRuns({ ...iemocap, system: 'tfn', recall: 0.55 }),
    ...fixtureSystemRuns({ ...iemocap, system: 'bc-lstm-text', recall: 0.5 }),
    ...fixtureSystemRuns({ ...iemocap, system: 'bc-lstm-speech', recall: 0.45, seeds: [1], tags: { 'emofuse.context': 'dialogue' } }),
  ];
}

describe('measured baselines beside the cited ones', () => {
  it('marks dialogue-level systems from the context tag, or by name when the tag is missing', () => {
    expect(contextOf({ system: 'bc-lstm-text', tags: {} })).toBe('dialogue');
    expect(contextOf({ system: 'bc-lstm', tags: { 'emofuse.context': 'utterance' } })).toBe('utterance');
    expect(contextOf({ system: 'text-lstm', tags: { 'emofuse.context': 'dialogue' } })).toBe('dialogue');
    expect(contextOf({ system: 'tfn', tags: {} })).toBe('utterance');
  });

  it('places each measured baseline right after the cited row it counterparts; cited rows stay as cited', () => {
    const input = checkReportInput({ runs: withBaselines() });
    const reference = loadReference();
    const entries = resultEntries(summarise(seedRows(input.runs, 'test', 'fraction'), reference), reference);
    const labels = entries.map(entryLabel);
    expect(labels.slice(labels.indexOf('TFN (A+T+V), Table 3, cited'))).toEqual([
      'TFN (A+T+V), Table 3, cited',
      'tfn, measured here',
      'MFN (A+T+V), Table 3, cited',
      'cLSTM* (A+T+V), Table 3, cited',
      'bc-lstm-text *, measured here',
      'bc-lstm-speech *, measured here',
      'ICON* (A+T), Table 3, cited',
    ]);
    const cited = entries.filter((e) => e.kind === 'cited').map((e) => (e.kind === 'cited' ? [e.ref.name, e.ref.ua] : []));
    expect(cited).toEqual(reference.rows.map((r) => [r.name, r.ua]));
  });

  it('says on every row of summary.md whether it is measured here or cited, and marks dialogue-level rows', async () => {
    const p = await buildReport({ input: { runs: withBaselines() }, outDir: path.join(tmp, 'baselines'), ablation: false });
    const md = readFileSync(p.summary, 'utf8');
    const rows = md.split('\n').filter((l) => l.startsWith('|') && !l.startsWith('|system|') && !l.startsWith('|:'));
    for (const r of rows) expect(r.split('|')[2]).toMatch(/^(measured here|cited from the paper|computed from the test labels)$/);
    const at = (name: string) => rows.findIndex((r) => r.startsWith(`|${name}|`));
    expect(at('tfn')).toBe(at('TFN (A+T+V), Table 3') + 1);
    expect(rows[at('tfn')]).toMatch(/^\|tfn\|measured here\|utterance\|3\|/);
    expect(rows[at('bc-lstm-text')]).toMatch(/^\|bc-lstm-text\|measured here\|dialogue \(uses context\) \*\|3\|/);
    // A single seed: the score alone.
    expect(rows[at('bc-lstm-speech')]).toMatch(/^\|bc-lstm-speech\|measured here\|dialogue \(uses context\) \*\|1\|\d+\.\d\|\d+\.\d\|\d+\.\d\|[+−]\d+\.\d\|$/);
    expect(rows[at('cLSTM* (A+T+V), Table 3')]).toBe('|cLSTM* (A+T+V), Table 3|cited from the paper|dialogue (uses context) *|–|56.1|59.8|59.0||');
    const svg = readFileSync(p.svgs.comparison, 'utf8');
    expect(svg).toContain('bc-lstm-text *, measured here');
    expect(svg).toContain('tfn, measured here');
  });

  it('shows measured baselines without cited rows when the paper does not apply', async () => {
    const runs = fixtureSystemRuns({ system: 'tfn' });
    const p = await buildReport({ input: { runs }, outDir: path.join(tmp, 'emodb-tfn'), ablation: false });
    const md = readFileSync(p.summary, 'utf8');
    expect(md).toContain('|tfn|measured here|utterance|3|');
    expect(md).not.toContain('TFN');
  });
});
