import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { EmofuseError } from '@emofuse/core';

export interface WavInfo {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  dataBytes: number;
  seconds: number;
}

const FORMATS: Record<number, string> = { 1: 'PCM', 3: 'IEEE float', 0xfffe: 'extensible' };

/**
 * Reads a WAV file's RIFF header and checks it before openSMILE sees the file, so a bad file gets
 * a message that says what is wrong (openSMILE's own is often just "failed to open"):
 * RIFF/WAVE magic, a `fmt ` chunk with a supported format, a `data` chunk whose declared size
 * fits in the file (a cut-off download or copy fails here) and at least one sample.
 */
export function readWavHeader(file: string): WavInfo {
  const fail = (msg: string, fix = 'convert it to a 16-bit PCM WAV (e.g. `sox in.x -b 16 out.wav`) or remove it from the corpus'): never => {
    throw new EmofuseError(msg, { where: file, fix });
  };
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    return fail(`cannot open the WAV file: ${(e as Error).message}`, 'check the corpus path and the file permissions');
  }
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) < 12) fail(`not a WAV file: only ${size} bytes`);
    if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') {
      fail(`not a WAV file: it starts with ${JSON.stringify(head.toString('latin1', 0, 4))}, not "RIFF....WAVE"`);
    }
    const riffSize = head.readUInt32LE(4);
    let fmt: Omit<WavInfo, 'dataBytes' | 'seconds'> | undefined;
    let pos = 12;
    const ch = Buffer.alloc(8);
    while (pos + 8 <= size) {
      readSync(fd, ch, 0, 8, pos);
      const id = ch.toString('latin1', 0, 4);
      const len = ch.readUInt32LE(4);
      const body = pos + 8;
      if (id === 'fmt ') {
        if (len < 16 || body + 16 > size) fail(`the fmt chunk is ${len} bytes, too short`);
        const f = Buffer.alloc(16);
        readSync(fd, f, 0, 16, body);
        fmt = { format: f.readUInt16LE(0), channels: f.readUInt16LE(2), sampleRate: f.readUInt32LE(4), bitsPerSample: f.readUInt16LE(14) };
        if (!FORMATS[fmt.format]) fail(`unsupported WAV encoding (format tag ${fmt.format}); openSMILE reads PCM and float WAVs`);
        if (fmt.channels < 1 || fmt.sampleRate < 1 || fmt.bitsPerSample < 8) {
          fail(`the fmt chunk is invalid (channels ${fmt.channels}, rate ${fmt.sampleRate}, bits ${fmt.bitsPerSample})`);
        }
      } else if (id === 'data') {
        if (!fmt) fail('the data chunk comes before the fmt chunk (or there is no fmt chunk)');
        const available = size - body;
        if (len > available) {
          fail(`truncated: the data chunk declares ${len} bytes of audio but only ${available} follow (file is ${size} bytes, RIFF header says ${riffSize + 8})`,
            'the file was cut short (interrupted copy or download): copy it again from the original corpus');
        }
        if (len === 0) fail('the data chunk holds no audio samples');
        const frame = fmt!.channels * Math.ceil(fmt!.bitsPerSample / 8);
        return { ...fmt!, dataBytes: len, seconds: len / frame / fmt!.sampleRate };
      }
      pos = body + len + (len % 2); // chunks are padded to an even length
    }
    return fail(fmt ? 'no data chunk: the file ends after its header' : 'no fmt chunk: the file ends after the RIFF header',
      'the file is truncated or not audio: copy it again from the original corpus');
  } finally {
    closeSync(fd);
  }
}
