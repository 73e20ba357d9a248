import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, checkReportInput, configDiff, experimentConditions, loadPaperConfig } from '../src/index.ts';
import { fixtureRuns, fixtureSystemRuns } from './fixtures.ts';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-conditions-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const provenance = { 'meta.backend': 'tensorflow', 'meta.git_commit': '0123456789abcdef0123', 'meta.git_dirty': 'false', 'train.patience': '6', 'train.monitor': 'valid_loss', 'train.epochs': '1' };

describe('run conditions', () => {
  it('reads corpus, caveat, protocol, folds, seeds, epochs, stopping, backend and commit from what the runs logged', () => {
    const runs = fixtureSystemRuns({ seeds: [1, 2], params: provenance, tags: { 'split.folds': '03,08' } }).map((r) => ({ ...r, history: (r.history ?? []).slice(0, 1) }));
    const [c] = experimentConditions(checkReportInput({ runs }).runs);
    expect(c).toMatchObject({ experiment: 'emodb-speech', corpus: 'emodb', protocol: 'loso-speaker', folds: '2 (03, 08)', seeds: [1, 2], backend: 'tensorflow', commit: '0123456789ab' });
    // The thread count changes tfjs-node's numbers, so it stands beside the backend when logged.
    const threaded = experimentConditions(checkReportInput({ runs: runs.map((r) => ({ ...r, params: { ...r.params, 'meta.tf_threads': '1' } })) }).runs);
    expect(threaded[0].backend).toBe('tensorflow (threads: 1)');
    expect(c.caveats[0]).toMatch(/22050 Hz.*2\.0 s/);
    expect(c.epochs).toBe("train.epochs = 1; 1 epoch(s) run (first fold's history)");
    expect(c.stopping).toBe("early stopping on valid_loss, patience 6; the best epoch's weights are restored");
  });

  it("lists only the logged keys that differ from the paper's Table 1", () => {
    const paper = loadPaperConfig();
    const base = { 'model.text.lstmUnits': '128', 'train.learningRate': '0.001' };
    expect(configDiff([{ params: base }] as never, paper)).toEqual([]);
    const d = configDiff([{ params: { ...base, 'model.text.lstmUnits': '64' } }, { params: { ...base, 'model.text.lstmUnits': '32' } }] as never, paper);
    expect(d).toEqual([{ key: 'model.text.lstmUnits', runs: ['64', '32'], paper: '128' }]);
  });

  it('puts the header, the Table 1 diff and the reason for absent paper columns into the report', async () => {
    const runs = fixtureSystemRuns({ seeds: [1, 2], params: { ...provenance, 'model.speech.filters': '8' } });
    const p = await buildReport({ input: { runs }, outDir: path.join(tmp, 'emodb'), now: new Date('2026-01-01T00:00:00Z') });
    const html = readFileSync(p.html, 'utf8');
    expect(html).toContain('<h2>Run conditions</h2>');
    expect(html).toMatch(/22050 Hz/);
    expect(html).toContain('model.speech.filters');
    expect(html).toContain('There are no &quot;cited&quot; rows and no &quot;UA − cited&quot; column: runs on emodb, not IEMOCAP.');
    expect(html).not.toContain('UA − cited</th>');
    const md = readFileSync(p.summary, 'utf8');
    expect(md).toContain('### Run conditions: emodb-speech');
    expect(md).toContain("Differences from the paper's Table 1: model.speech.filters = 8 (paper 128)");
    expect(JSON.parse(readFileSync(p.json, 'utf8')).conditions[0].seeds).toEqual([1, 2]);

    // On the paper's corpus, classes and protocol the columns are there, and the page says why.
    const q = await buildReport({ input: { runs: fixtureRuns() }, outDir: path.join(tmp, 'iemocap'), now: new Date('2026-01-01T00:00:00Z') });
    const qh = readFileSync(q.html, 'utf8');
    expect(qh).toContain('UA − cited</th>');
    expect(qh).toContain('The &quot;cited&quot; rows and the &quot;UA − cited&quot; column are shown');
  });
});
