import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Corpus } from '@emofuse/core';
import { readIemocapFeaturesPickle } from '../../src/corpora/index.ts';
import { featuresFixture, python, removeTempDirs, tempDir } from './helpers.ts';

// Writes variants of the fixture the way other writers do, and the values numpy itself reads:
//  py2.pkl: protocol 2, Python 2 byte strings (BINSTRING) for ids/sentences/array payloads,
//           numpy.core.multiarray._reconstruct (numpy 1.x name), builtins.set, 2-D videoText,
//           float32 videoAudio, and one non-ASCII UTF-8 sentence.
//  p0.pkl:  the same in protocol 0 (Python 2's default: escaped STRING lines, __builtin__.set).
//  p5.pkl:  protocol 5 (numpy 2's _frombuffer path).
const SCRIPT = String.raw`
import pickle, struct, sys, json, numpy as np
src, out = sys.argv[1], sys.argv[2]
ids, spk, lab, txt, aud, vis, sen, tr, te = pickle.load(open(src, 'rb'), encoding='latin1')
b = lambda s: s.encode('utf-8')
first = sorted(ids)[0]
sen = {k: list(v) for k, v in sen.items()}
sen[first][0] = 'Caf\u00e9 na\u00efve \u2014 ok.'
py2 = (
  {b(k): [b(x) for x in v] for k, v in ids.items()},
  {b(k): [b(x) for x in v] for k, v in spk.items()},
  {b(k): list(v) for k, v in lab.items()},
  {b(k): np.stack(v) for k, v in txt.items()},
  {b(k): [x.astype(np.float32) for x in v] for k, v in aud.items()},
  {b(k): list(v) for k, v in vis.items()},
  {b(k): [b(x) for x in v] for k, v in sen.items()},
  set(b(k) for k in tr), set(b(k) for k in te))

class Py2Pickler(pickle._Pickler):
  dispatch = pickle._Pickler.dispatch.copy()
  def save_py2_str(self, obj):
    n = len(obj)
    if self.proto == 0:
      self.write(pickle.STRING + repr(obj)[1:].encode('ascii') + b'\n')
    else:
      self.write((pickle.SHORT_BINSTRING + bytes([n]) if n < 256 else pickle.BINSTRING + struct.pack('<i', n)) + obj)
    self.memoize(obj)
  dispatch[bytes] = save_py2_str

import io
f = io.BytesIO()
Py2Pickler(f, protocol=2, fix_imports=False).dump(py2)
data = f.getvalue().replace(b'numpy._core.multiarray\n', b'numpy.core.multiarray\n')
assert b'numpy.core.multiarray\n_reconstruct' in data and b'builtins\nset' in data and b'_codecs' not in data
open(out + '/py2.pkl', 'wb').write(data)
f = io.BytesIO()
Py2Pickler(f, protocol=0).dump(py2)
data0 = f.getvalue().replace(b'numpy._core.multiarray\n', b'numpy.core.multiarray\n')
assert data0.startswith(b'(') and b"S'" in data0 and b'__builtin__\nset' in data0
open(out + '/p0.pkl', 'wb').write(data0)
assert pickle.loads(data0, encoding='bytes')[6][b(first)][0].decode('utf-8') == sen[first][0]
back = pickle.loads(data, encoding='bytes')
assert back[6][b(first)][0].decode('utf-8') == sen[first][0]
pickle.dump((ids, spk, lab, txt, aud, vis, sen, tr, te), open(out + '/p5.pkl', 'wb'), protocol=5)
expect = {k: {'text0': [float(x) for x in txt[k][0][:5]], 'textSum': float(np.sum(np.stack(txt[k]))),
              'audioSum': float(np.sum(np.stack(aud[k]).astype(np.float32).astype(np.float64))),
              'visualSum': float(np.sum(np.stack(vis[k]))), 'labels': list(map(int, lab[k]))} for k in ids}
json.dump({'expect': expect, 'sentence': sen[first][0], 'first': first}, open(out + '/expect.json', 'w'))
`;

const sum = (c: Corpus, dialogue: string, mod: string) =>
  c.utterances.filter((u) => u.dialogue === dialogue).reduce((s, u) => s + u.vectors![mod].reduce((a, b) => a + b, 0), 0);

afterAll(removeTempDirs);

describe('readIemocapFeaturesPickle', () => {
  let dir: string;
  let expected: { expect: Record<string, { text0: number[]; textSum: number; audioSum: number; visualSum: number; labels: number[] }>; sentence: string; first: string };
  const fixture = readIemocapFeaturesPickle(featuresFixture);

  beforeAll(() => {
    if (!existsSync(python)) throw new Error(`no Python at ${python}: run scripts/setup.sh (or set EMOFUSE_PYTHON) to build the test pickles`);
    dir = tempDir('featpkl');
    execFileSync(python, ['-c', SCRIPT, featuresFixture, dir], { stdio: 'pipe' });
    expected = JSON.parse(readFileSync(path.join(dir, 'expect.json'), 'utf8'));
  });

  it('reads the numpy-2 fixture: real ids, labels, speakers, text and 100/100/512-d vectors', () => {
    expect(fixture.name).toBe('iemocap-features');
    expect(fixture.classes).toEqual(['hap', 'sad', 'neu', 'ang', 'exc', 'fru']);
    expect(fixture.utterances).toHaveLength(26 + 32 + 49);
    const u = fixture.utterances[0];
    expect(u).toMatchObject({ id: 'Ses01F_impro01_F000', dialogue: 'Ses01F_impro01', session: 'Ses01', speaker: 'Ses01_F', label: 'neu', text: 'Excuse me.' });
    expect(u.vectors!.text).toBeInstanceOf(Float32Array);
    expect([u.vectors!.text.length, u.vectors!.audio.length, u.vectors!.visual.length]).toEqual([100, 100, 512]);
    expect(fixture.utterances.find((x) => x.id === 'Ses05F_impro02_M000')!.speaker).toBe('Ses05_M');
    expect(fixture.officialSplit).toEqual({ train: ['Ses01F_impro01', 'Ses02M_script01_2'], valid: [], test: ['Ses05F_impro02'] });
    // order: the position in the dialogue's videoIDs list, which is the dialogue's turn order.
    const first = fixture.utterances.filter((x) => x.dialogue === 'Ses01F_impro01');
    expect(first.map((x) => x.order)).toEqual(first.map((_, i) => i));
  });

  it('gives the values numpy reads', () => {
    for (const [dialogue, e] of Object.entries(expected.expect)) {
      const utts = fixture.utterances.filter((u) => u.dialogue === dialogue);
      expect(utts.map((u) => fixture.classes.indexOf(u.label))).toEqual(e.labels);
      expect(Array.from(utts[0].vectors!.text.slice(0, 5))).toEqual(e.text0.map(Math.fround));
      expect(sum(fixture, dialogue, 'text')).toBeCloseTo(e.textSum, 3);
      expect(sum(fixture, dialogue, 'audio')).toBeCloseTo(e.audioSum, 3);
      expect(sum(fixture, dialogue, 'visual')).toBeCloseTo(e.visualSum, 3);
    }
  });

  it('reads a Python-2 style pickle (numpy.core names, byte strings, 2-D arrays, float32, builtins.set) identically', () => {
    const py2 = readIemocapFeaturesPickle(path.join(dir, 'py2.pkl'));
    expect(py2.utterances.map((u) => u.id)).toEqual(fixture.utterances.map((u) => u.id));
    expect(py2.utterances.map((u) => u.speaker)).toEqual(fixture.utterances.map((u) => u.speaker));
    expect(py2.utterances.map((u) => u.label)).toEqual(fixture.utterances.map((u) => u.label));
    expect(py2.officialSplit).toEqual(fixture.officialSplit);
    const firstIdx = py2.utterances.findIndex((u) => u.dialogue === expected.first);
    expect(py2.utterances[firstIdx].text).toBe(expected.sentence); // UTF-8 bytes decoded, not mojibake
    py2.utterances.forEach((u, i) => {
      if (i !== firstIdx) expect(u.text).toBe(fixture.utterances[i].text);
      for (const mod of ['text', 'audio', 'visual']) expect(u.vectors![mod]).toEqual(fixture.utterances[i].vectors![mod]);
    });
  });

  it('reads a protocol-0 pickle (Python 2 default) identically', () => {
    const p0 = readIemocapFeaturesPickle(path.join(dir, 'p0.pkl'));
    expect(p0.utterances.map((u) => u.id)).toEqual(fixture.utterances.map((u) => u.id));
    expect(p0.utterances.map((u) => u.label)).toEqual(fixture.utterances.map((u) => u.label));
    expect(p0.officialSplit).toEqual(fixture.officialSplit);
    const firstIdx = p0.utterances.findIndex((u) => u.dialogue === expected.first);
    expect(p0.utterances[firstIdx].text).toBe(expected.sentence);
    p0.utterances.forEach((u, i) => {
      if (i !== firstIdx) expect(u.text).toBe(fixture.utterances[i].text);
      for (const mod of ['text', 'audio', 'visual']) expect(u.vectors![mod]).toEqual(fixture.utterances[i].vectors![mod]);
    });
  });

  it('reads a protocol-5 pickle (numpy _frombuffer) identically', () => {
    const p5 = readIemocapFeaturesPickle(path.join(dir, 'p5.pkl'));
    expect(p5.utterances.map((u) => u.id)).toEqual(fixture.utterances.map((u) => u.id));
    p5.utterances.forEach((u, i) => {
      for (const mod of ['text', 'audio', 'visual']) expect(u.vectors![mod]).toEqual(fixture.utterances[i].vectors![mod]);
    });
  });
});
