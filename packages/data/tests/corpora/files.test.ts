import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8 } from '../../src/corpora/files.ts';

describe('firstInvalidUtf8', () => {
  it('agrees with a strict decoder on valid and broken byte strings', () => {
    const cases: number[][] = [
      [0x61, 0x62],
      [0xc3, 0xa9], // é
      [0xe2, 0x82, 0xac], // €
      [0xf0, 0x9f, 0x98, 0x80], // an emoji
      [0x61, 0xe9, 0x62], // latin1 é
      [0xc3], // cut short
      [0xc0, 0xaf], // overlong
      [0xed, 0xa0, 0x80], // a surrogate
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0x61, 0x80],
    ];
    for (const c of cases) {
      const bytes = Uint8Array.from(c);
      let strictOk = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        strictOk = false;
      }
      expect(firstInvalidUtf8(bytes) === -1, `bytes ${c.map((x) => x.toString(16)).join(' ')}`).toBe(strictOk);
    }
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0x62, 0xe9, 0x62]))).toBe(2);
  });
});
