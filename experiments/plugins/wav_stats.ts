/**
 * An example of a researcher's own feature source, in one file: five signal statistics per WAV
 * (duration, RMS level, peak level, zero-crossing rate, share of loud 25-ms frames), computed
 * from the samples themselves. Name this file in an experiment's `plugins:` and set
 * `features.speech.source: wav-stats`; `features.speech.options` holds its settings.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError, type FeatureMatrix } from '@emofuse/core';
import { readWavHeader, registerFeatureSource } from '@emofuse/data';

const Options = z.strictObject({ frameMs: z.number().positive().default(25), loudDb: z.number().max(0).default(-40) });

/** The 16-bit PCM samples of a WAV's data chunk, as floats in [-1, 1] (channels mixed). */
function samples(file: string): { x: Float32Array; rate: number } {
  const info = readWavHeader(file); // checks the header and names the file when it is bad
  if (info.format !== 1 || info.bitsPerSample !== 16) throw new InputError(`wav-stats reads 16-bit PCM only (this is format ${info.format}, ${info.bitsPerSample} bits)`, { where: file });
  const buf = readFileSync(file);
  let at = 12;
  while (at + 8 <= buf.length && buf.toString('latin1', at, at + 4) !== 'data') at += 8 + buf.readUInt32LE(at + 4) + (buf.readUInt32LE(at + 4) % 2);
  const n = Math.floor(info.dataBytes / 2 / info.channels);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let c = 0; c < info.channels; c++) v += buf.readInt16LE(at + 8 + 2 * (i * info.channels + c));
    x[i] = v / info.channels / 32768;
  }
  return { x, rate: info.sampleRate };
}

const db = (v: number) => 20 * Math.log10(Math.max(v, 1e-10));

registerFeatureSource<{ options: Record<string, unknown> }>({
  name: 'wav-stats',
  modalities: ['speech'],
  missingInput: (corpus) => (corpus.utterances[0]?.wav ? undefined : `corpus ${corpus.name} has no WAV files`),
  async extract(corpus, _modality, opts, ctx) {
    const parsed = Options.safeParse(opts.options ?? {});
    if (!parsed.success) throw new InputError(`wav-stats options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { where: `${ctx.where}.options` });
    const { frameMs, loudDb } = parsed.data;
    const utts = corpus.utterances.filter((u) => u.wav);
    const dim = 5;
    const values = new Float32Array(utts.length * dim);
    const bar = ctx.progress?.('wav-stats', utts.length);
    try {
      utts.forEach((u, r) => {
        const { x, rate } = samples(u.wav!);
        let sq = 0, peak = 0, zc = 0;
        for (let i = 0; i < x.length; i++) {
          sq += x[i] * x[i];
          peak = Math.max(peak, Math.abs(x[i]));
          if (i && (x[i] >= 0) !== (x[i - 1] >= 0)) zc++;
        }
        const frame = Math.max(1, Math.round((rate * frameMs) / 1000));
        let loud = 0, frames = 0;
        for (let s = 0; s + frame <= x.length; s += frame, frames++) {
          let e = 0;
          for (let i = s; i < s + frame; i++) e += x[i] * x[i];
          if (db(Math.sqrt(e / frame)) > loudDb) loud++;
        }
        values.set([x.length / rate, db(Math.sqrt(sq / x.length)), db(peak), (zc * rate) / x.length, frames ? loud / frames : 0], r * dim);
        bar?.tick(1, u.id);
      });
    } finally {
      bar?.stop();
    }
    ctx.log(`speech: ${utts.length} utterances x ${dim} wav-stats features (frames of ${frameMs} ms, loud above ${loudDb} dBFS)`);
    const features: FeatureMatrix = { ids: utts.map((u) => u.id), dim, values };
    return { features };
  },
});
