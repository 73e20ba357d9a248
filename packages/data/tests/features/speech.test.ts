import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPython, extractOpensmile, readWavHeader, locateOpensmile, SMILEXTRACT_SHIM } from '../../src/features/index.ts';
import { REPO_ROOT } from '../../src/features/speech/opensmile.ts';
import type { ExtractProgress } from '../../src/features/index.ts';
import { catchEmofuse, emodbWavDir, python, removeTempDirs, tempDir, utt } from './helpers.ts';

afterAll(removeTempDirs);

const ids = ['03a01Fa', '08a02Ac', '11b03Wb', '16a05Tb'];
const real = ids.map((id) => utt(id, '', { wav: path.join(emodbWavDir, `${id}.wav`) }));

/** A truncated copy of a real WAV and a text file named .wav. */
function badFiles() {
  const dir = tempDir();
  const truncated = path.join(dir, 'truncated.wav');
  writeFileSync(truncated, readFileSync(real[0].wav!).subarray(0, 30_000));
  const text = path.join(dir, 'notes.wav');
  writeFileSync(text, 'these are not audio samples\n');
  return { dir, truncated, text };
}

describe('readWavHeader', () => {
  it('reads the header of a real EmoDB file', () => {
    expect(readWavHeader(real[0].wav!)).toEqual({ format: 1, channels: 1, sampleRate: 22050, bitsPerSample: 16, dataBytes: 88200, seconds: 2 });
  });

  it('names the file and says what is wrong with a truncated, a non-WAV and a missing file', async () => {
    const { truncated, text } = badFiles();
    const t = await catchEmofuse(() => readWavHeader(truncated));
    expect(t.where).toBe(truncated);
    expect(t.message).toMatch(/truncated: the data chunk declares 88200 bytes of audio but only 29956 follow/);
    const n = await catchEmofuse(() => readWavHeader(text));
    expect(n.message).toContain('not a WAV file');
    expect((await catchEmofuse(() => readWavHeader('/no/such.wav'))).message).toContain('cannot open');
  });
});

describe('extractOpensmile (ComParE_2016 through libSMILEapi from .venv)', () => {
  it('extracts exactly 6373 functionals per file, in input order, equal to the opensmile Python package', async () => {
    const seen: ExtractProgress[] = [];
    const r = await extractOpensmile(real, { workers: 2, onProgress: (p) => seen.push(p) });
    expect(r.failures).toEqual([]);
    expect(r.matrix.ids).toEqual(ids);
    expect(r.matrix.dim).toBe(6373);
    expect(r.names).toHaveLength(6373);
    expect(r.names[0]).toBe('audspec_lengthL1norm_sma_range');
    expect(seen.map((p) => p.done)).toEqual([1, 2, 3, 4]);
    expect(seen.every((p) => p.total === 4 && p.failed === 0)).toBe(true);
    expect(r.command.slice(0, 4)).toEqual([locateOpensmile().python, SMILEXTRACT_SHIM, '-C', expect.stringMatching(/compare\/ComParE_2016\.conf$/)]);

    // The reference: opensmile.Smile(ComParE_2016, Functionals).process_file on the second file.
    const ref = spawnSync(python, ['-c', [
      'import opensmile, json, sys',
      's = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016, feature_level=opensmile.FeatureLevel.Functionals)',
      'df = s.process_file(sys.argv[1])',
      'print(json.dumps({"names": list(df.columns), "values": [float(v) for v in df.values[0]]}))',
    ].join('\n'), real[1].wav!], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(ref.status, ref.stderr).toBe(0);
    const expected = JSON.parse(ref.stdout) as { names: string[]; values: number[] };
    expect(r.names).toEqual(expected.names);
    const got = r.matrix.values.subarray(6373, 2 * 6373);
    let worst = 0;
    expected.values.forEach((v, j) => (worst = Math.max(worst, Math.abs(got[j] - v) / (Math.abs(v) + 1e-3))));
    expect(worst).toBeLessThan(1e-4); // the CSV prints 6-7 significant digits
  });

  it('reports a truncated and a non-WAV file by name while the others go on', async () => {
    const { truncated, text } = badFiles();
    const us = [real[0], utt('cut', '', { wav: truncated }), utt('txt', '', { wav: text }), utt('nowav', ''), real[2]];
    const r = await extractOpensmile(us, { workers: 2 });
    expect(r.matrix.ids).toEqual([ids[0], ids[2]]);
    expect(r.matrix.values).toHaveLength(2 * 6373);
    expect(r.failures.map((f) => f.id)).toEqual(['cut', 'txt', 'nowav']);
    expect(r.failures[0].wav).toBe(truncated);
    expect(r.failures[0].error).toContain(truncated);
    expect(r.failures[0].error).toContain('truncated');
    expect(r.failures[1].error).toContain(`${text}: not a WAV file`);
    expect(r.failures[2].error).toContain('no WAV path');
  });

  it('runs a given SMILExtract-compatible binary, and turns its failure into per-file errors', async () => {
    const dir = tempDir();
    const good = path.join(dir, 'SMILExtract');
    writeFileSync(good, `#!/bin/sh\nexec "${locateOpensmile().python}" "${SMILEXTRACT_SHIM}" "$@"\n`);
    const bad = path.join(dir, 'broken');
    writeFileSync(bad, '#!/bin/sh\necho "cannot allocate the component memory" >&2\nexit 3\n');
    chmodSync(good, 0o755);
    chmodSync(bad, 0o755);
    const ok = await extractOpensmile(real.slice(0, 1), { binary: good, workers: 1 });
    expect(ok.failures).toEqual([]);
    expect(ok.command[0]).toBe(good);
    expect(ok.matrix.dim).toBe(6373);
    const ko = await extractOpensmile(real.slice(0, 2), { binary: bad });
    expect(ko.matrix.ids).toEqual([]);
    expect(ko.failures.map((f) => f.error)).toEqual(real.slice(0, 2).map((u) => `${u.wav}: openSMILE failed (exit 3): cannot allocate the component memory`));
  });

  it('runs other configs of the package by name (eGeMAPSv02: 88 functionals)', async () => {
    const r = await extractOpensmile(real.slice(0, 1), { config: 'eGeMAPSv02' });
    expect(r.failures).toEqual([]);
    expect(r.matrix.dim).toBe(88);
    expect(r.command[3]).toMatch(/egemaps\/v02\/eGeMAPSv02\.conf$/);
  });

  it('refuses a missing binary, an unknown config and a bad worker count before running anything', async () => {
    expect((await catchEmofuse(() => extractOpensmile(real, { binary: '/no/SMILExtract' }))).where).toBe('/no/SMILExtract');
    expect((await catchEmofuse(() => extractOpensmile(real, { config: 'NoSuchSet' }))).fix).toContain('ComParE_2016');
    expect((await catchEmofuse(() => extractOpensmile(real, { workers: 0 }))).where).toBe('features.speech.workers');
    expect((await catchEmofuse(() => extractOpensmile(real, { python: '/no/python' }))).fix).toContain('setup.sh');
  });
});

describe('defaultPython', () => {
  it('takes EMOFUSE_PYTHON first, else python3 with opensmile, else the clone .venv', () => {
    const saved = process.env.EMOFUSE_PYTHON;
    try {
      process.env.EMOFUSE_PYTHON = '/opt/elsewhere/python';
      expect(defaultPython()).toBe('/opt/elsewhere/python');
      delete process.env.EMOFUSE_PYTHON;
      const py3 = spawnSync('python3', ['-c', "import importlib.util as u, sys; print(sys.executable if u.find_spec('opensmile') else '')"], { encoding: 'utf8' }).stdout?.trim();
      expect(defaultPython()).toBe(py3 || path.join(REPO_ROOT, '.venv', 'bin', 'python'));
    } finally {
      if (saved === undefined) delete process.env.EMOFUSE_PYTHON;
      else process.env.EMOFUSE_PYTHON = saved;
    }
  });

  it('names all three places when there is no such Python', () => {
    expect(() => locateOpensmile(path.join(REPO_ROOT, 'no-such-python'))).toThrow(/no Python interpreter here/);
    try {
      locateOpensmile(path.join(REPO_ROOT, 'no-such-python'));
    } catch (e) {
      expect((e as { fix?: string }).fix).toMatch(/EMOFUSE_PYTHON.*python3 on PATH.*\.venv/);
    }
  });
});
