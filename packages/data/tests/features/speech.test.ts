import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPython, extractOpensmile, readWavHeader, locateOpensmile } from '../../src/features/index.ts';
import { SMILEXTRACT_SHIM } from '../../src/features/speech/opensmile.ts';
import { REPO_ROOT } from '../../src/features/speech/opensmile.ts';
import type { ExtractProgress } from '../../src/features/index.ts';
import { catchEmofuse, emodbWavDir, python, removeTempDirs, tempDir, utt } from './helpers.ts';

afterAll(removeTempDirs);

const ids = ['03a01Fa', '08a02Ac', '11b03Wb', '16a05Tb'];
const real = ids.map((id) => utt(id, '', { wav: path.join(emodbWavDir, `${id}.wav`) }));

/** opensmile.Smile(ComParE_2016, Functionals).process_file on each WAV, from the opensmile Python package. */
function referenceFeatures(wavs: string[]): { names: string[]; values: number[][] } {
  const ref = spawnSync(python, ['-c', [
    'import opensmile, json, sys',
    's = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016, feature_level=opensmile.FeatureLevel.Functionals)',
    'dfs = [s.process_file(w) for w in sys.argv[1:]]',
    'print(json.dumps({"names": list(dfs[0].columns), "values": [[float(v) for v in df.values[0]] for df in dfs]}))',
  ].join('\n'), ...wavs], { encoding: 'utf8', maxBuffer: 1 << 26 });
  expect(ref.status, ref.stderr).toBe(0);
  return JSON.parse(ref.stdout) as { names: string[]; values: number[][] };
}

function worstRelativeError(got: ArrayLike<number>, want: number[]): number {
  let worst = 0;
  want.forEach((v, j) => (worst = Math.max(worst, Math.abs(got[j] - v) / (Math.abs(v) + 1e-3))));
  return worst; // the CSV prints 6-7 significant digits
}

/** Our openSMILE servers among the children of `parent` (default: this process). */
function serverPids(parent = process.pid): number[] {
  const r = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(`${SMILEXTRACT_SHIM} --serve`)).map((l) => Number(l.trim().split(/\s+/)[0]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The samples of a PCM WAV's data chunk. */
function pcmOf(wav: string): Buffer {
  const b = readFileSync(wav);
  const at = b.indexOf('data', 12, 'latin1');
  return b.subarray(at + 8, at + 8 + b.readUInt32LE(at + 4));
}

/** A mono 22.05 kHz WAV with the given format tag (1 PCM, 0xfffe extensible) around `data`. */
function wavFile(format: number, bits: number, data: Buffer): Buffer {
  const fmt = Buffer.alloc(format === 0xfffe ? 40 : 16);
  fmt.writeUInt16LE(format, 0);
  fmt.writeUInt16LE(1, 2);
  fmt.writeUInt32LE(22050, 4);
  fmt.writeUInt32LE(22050 * (bits / 8), 8);
  fmt.writeUInt16LE(bits / 8, 12);
  fmt.writeUInt16LE(bits, 14);
  if (format === 0xfffe) {
    fmt.writeUInt16LE(22, 16); // extension size
    fmt.writeUInt16LE(bits, 18); // valid bits
    fmt.writeUInt32LE(4, 20); // channel mask: front centre
    Buffer.from('0100000000001000800000aa00389b71', 'hex').copy(fmt, 24); // KSDATAFORMAT_SUBTYPE_PCM
  }
  const chunk = (id: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32LE(body.length, 4);
    return Buffer.concat([h, body, Buffer.alloc(body.length % 2)]);
  };
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), chunk('fmt ', fmt), chunk('data', data)]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

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
    expect(r.command.slice(0, 3)).toEqual([locateOpensmile().python, SMILEXTRACT_SHIM, '--serve']);
    expect(r.command.slice(4, 6)).toEqual(['-C', expect.stringMatching(/compare\/ComParE_2016\.conf$/)]);

    // The reference: opensmile.Smile(ComParE_2016, Functionals).process_file on every file.
    const expected = referenceFeatures(real.map((u) => u.wav!));
    expect(r.names).toEqual(expected.names);
    expected.values.forEach((row, i) => expect(worstRelativeError(r.matrix.values.subarray(i * 6373, (i + 1) * 6373), row), ids[i]).toBeLessThan(1e-4));
  });

  it('gives the same numbers through the long-lived servers as one process per file', async () => {
    // The per-file path, exactly as before the servers: the shim run once per file through `binary`.
    const dir = tempDir();
    const perFile = path.join(dir, 'SMILExtract');
    writeFileSync(perFile, `#!/bin/sh\nexec "${locateOpensmile().python}" "${SMILEXTRACT_SHIM}" "$@"\n`);
    chmodSync(perFile, 0o755);
    const [served, once] = [await extractOpensmile(real, { workers: 1 }), await extractOpensmile(real, { workers: 2, binary: perFile })];
    expect(once.command[0]).toBe(perFile);
    expect(served.failures).toEqual([]);
    expect(served.names).toEqual(once.names);
    expect(served.matrix.ids).toEqual(once.matrix.ids);
    expect(Array.from(served.matrix.values)).toEqual(Array.from(once.matrix.values));
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

  it('fails only the file openSMILE fails or crashes on, and goes on with a new server', async () => {
    const dir = tempDir();
    // 10 samples: too short for any functional (openSMILE succeeds but writes nothing).
    const short = path.join(dir, 'short.wav');
    writeFileSync(short, wavFile(1, 16, Buffer.alloc(20, 1)));
    // WAVE_FORMAT_EXTENSIBLE: passes our header check, but openSMILE reads only PCM and float, and
    // its initialisation then crashes the process (SIGSEGV) once it has extracted a file before.
    const ext = path.join(dir, 'extensible.wav');
    writeFileSync(ext, wavFile(0xfffe, 16, pcmOf(real[0].wav!)));
    const us = [real[0], utt('short', '', { wav: short }), utt('ext', '', { wav: ext }), real[1], real[2]];
    const r = await extractOpensmile(us, { workers: 1 });
    expect(r.matrix.ids).toEqual([ids[0], ids[1], ids[2]]);
    expect(r.failures.map((f) => f.id)).toEqual(['short', 'ext']);
    expect(r.failures[0].error).toMatch(new RegExp(`^${short}: openSMILE wrote no output for it: .*No output was written`));
    expect(r.failures[1].error).toMatch(new RegExp(`^${ext}: openSMILE (crashed on it|failed).*Wave format fffe .*unsupported`));
    // The files after them come out of a fresh server with the same numbers as in a clean run.
    const clean = await extractOpensmile(real.slice(0, 3), { workers: 1 });
    expect(Array.from(r.matrix.values)).toEqual(Array.from(clean.matrix.values));
  });

  it('gets the feature names even when the file that was to write them fails', async () => {
    const short = path.join(tempDir(), 'short.wav');
    writeFileSync(short, wavFile(1, 16, Buffer.alloc(20, 1)));
    // Both start at once: the short one asks for the header of names, the other one does not.
    const r = await extractOpensmile([utt('short', '', { wav: short }), real[0]], { workers: 2 });
    expect(r.failures.map((f) => f.id)).toEqual(['short']);
    expect(r.matrix.ids).toEqual([ids[0]]);
    expect(r.names).toHaveLength(6373);
    expect(r.names[0]).toBe('audspec_lengthL1norm_sma_range');
  });

  it('restarts a server that was killed, naming the file it was on', async () => {
    let victim: number | undefined;
    const r = await extractOpensmile(real, {
      workers: 1,
      onProgress: (p) => {
        if (p.done !== 1) return;
        // Kill the only server right after the first file: the second file is sent to it and lost.
        victim = serverPids()[0];
        process.kill(victim, 'SIGKILL');
      },
    });
    expect(victim).toBeGreaterThan(0);
    expect(r.matrix.ids).toEqual([ids[0], ids[2], ids[3]]);
    expect(r.failures).toEqual([{ id: ids[1], wav: real[1].wav, error: `${real[1].wav}: openSMILE crashed on it (killed by SIGKILL)` }]);
    expect(serverPids()).toEqual([]);
  });

  it('stops a server that takes too long, fails that file and gives the next file a new server', async () => {
    const r = await extractOpensmile(real.slice(0, 3), { workers: 1, timeoutMs: 1 });
    expect(r.matrix.ids).toEqual([]);
    expect(r.failures.map((f) => f.error)).toEqual(real.slice(0, 3).map((u) => `${u.wav}: openSMILE did not finish within 0.001 s and was stopped`));
    expect(serverPids()).toEqual([]);
  });

  it('kills its servers when aborted, and throws', async () => {
    const ac = new AbortController();
    const many = Array.from({ length: 12 }, (_, i) => utt(`u${i}`, '', { wav: real[i % 4].wav }));
    const seen: number[] = [];
    let pids: number[] = [];
    const e = await catchEmofuse(() => extractOpensmile(many, {
      workers: 2,
      signal: ac.signal,
      onProgress: (p) => {
        seen.push(p.done);
        pids = serverPids();
        ac.abort();
      },
    }));
    expect(e.message).toContain('interrupted');
    expect(seen).toEqual([1]); // the file in flight on the other server is not reported as failed
    expect(pids.length).toBeGreaterThan(0);
    expect(serverPids()).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect((await catchEmofuse(() => extractOpensmile(real, { signal: ac.signal }))).message).toContain('interrupted');
  });

  it('leaves no server behind when the process running it is killed', async () => {
    // A separate Node process extracting many files; SIGKILL gives it no chance to clean up.
    const script = [
      `const { extractOpensmile } = await import(${JSON.stringify(path.join(import.meta.dirname, '../../src/features/index.ts'))});`,
      `const wavs = ${JSON.stringify(real.map((u) => u.wav))};`,
      "const us = Array.from({ length: 400 }, (_, i) => ({ id: 'u' + i, dialogue: 'd', session: 's', speaker: 'p', label: 'x', text: '', wav: wavs[i % 4] }));",
      "await extractOpensmile(us, { workers: 2, onProgress: (p) => p.done === 2 && console.log('busy') });",
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => b.toString().includes('busy') && resolve());
      child.on('exit', (code) => reject(new Error(`the extracting process ended early (exit ${code})`)));
    });
    const pids = serverPids(child.pid);
    expect(pids).toHaveLength(2);
    child.kill('SIGKILL');
    const deadline = Date.now() + 20_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(alive)).toEqual([]);
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
    expect(r.command[5]).toMatch(/egemaps\/v02\/eGeMAPSv02\.conf$/);
  });

  it('refuses a missing binary, an unknown config and a bad worker count before running anything', async () => {
    expect((await catchEmofuse(() => extractOpensmile(real, { binary: '/no/SMILExtract' }))).where).toBe('/no/SMILExtract');
    expect((await catchEmofuse(() => extractOpensmile(real, { config: 'NoSuchSet' }))).fix).toContain('ComParE_2016');
    expect((await catchEmofuse(() => extractOpensmile(real, { workers: 0 }))).where).toBe('openSMILE workers');
    expect((await catchEmofuse(() => extractOpensmile(real, { python: '/no/python' }))).fix).toContain('pip install opensmile');
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
