import { describe, expect, it } from 'vitest';
import { doubleFromJson, doubleToFileText, doubleToJsonToken, parseDoubleText } from '../src/index.ts';

const CASES = [NaN, Infinity, -Infinity, -0, 0, 1e-308, 5e-324, 0.1 + 0.2, 0.12345678901234568, 1.7976931348623157e308, -123.456, 1e21, 1e16];

describe('double encodings', () => {
  it('JSON tokens parse back bit-exactly (MLflow strings for non-finite values, -0.0 for negative zero)', () => {
    for (const v of CASES) {
      const back = doubleFromJson(JSON.parse(doubleToJsonToken(v)));
      expect(Object.is(back, v), `${v}`).toBe(true);
    }
    expect(doubleToJsonToken(NaN)).toBe('"NaN"');
    expect(doubleToJsonToken(-Infinity)).toBe('"-Infinity"');
    expect(doubleToJsonToken(-0)).toBe('-0.0');
  });

  it('file-store text is what Python writes and reads (nan, inf, -inf, -0.0, 1e+16)', () => {
    expect(CASES.map(doubleToFileText).slice(0, 4)).toEqual(['nan', 'inf', '-inf', '-0.0']);
    for (const v of CASES) expect(Object.is(parseDoubleText(doubleToFileText(v)), v), `${v}`).toBe(true);
    expect(parseDoubleText('1e+16')).toBe(1e16);
    expect(parseDoubleText('0.30000000000000004')).toBe(0.1 + 0.2);
    expect(parseDoubleText('1.0.0')).toBeUndefined();
    expect(() => doubleFromJson('abc')).toThrow();
  });
});
