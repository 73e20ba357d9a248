import { describe, expect, it } from 'vitest';
import { EmofuseError, InputError } from '@emofuse/core';
import { ConfigError } from '../src/config/load.ts';
import { EXIT, UsageError, atConfigKey, codeFor } from '../src/errors.ts';

describe('the one exit-code rule: the kind alone', () => {
  it('input errors of every class exit 2, everything else 1', () => {
    expect(codeFor(new InputError('bad label'))).toBe(EXIT.input);
    expect(codeFor(new UsageError('bad flag'))).toBe(EXIT.input);
    expect(codeFor(new ConfigError([{ key: 'train.epochs', where: 'x.yaml', message: 'expected a number' }]))).toBe(EXIT.input);
    expect(codeFor(new EmofuseError('kind input', { kind: 'input' }))).toBe(EXIT.input);
    expect(codeFor(new EmofuseError('server down'))).toBe(EXIT.failure);
    expect(codeFor(new Error('a bug'))).toBe(EXIT.failure);
    expect(EXIT).toEqual({ ok: 0, failure: 1, input: 2, interrupted: 130 });
  });

  it('a library error seen from the config names the key and keeps its kind', () => {
    const e = atConfigKey(new InputError('cannot keep 200 of 100 features', { where: 'l2-select', fix: 'keep at most 100' }), 'features.speech', 'lower the key') as EmofuseError;
    expect(e.describe()).toBe('features.speech (l2-select): cannot keep 200 of 100 features\n  fix: keep at most 100; lower the key');
    expect(codeFor(e)).toBe(EXIT.input);
    expect(codeFor(atConfigKey(new EmofuseError('down'), 'tracking.uri'))).toBe(EXIT.failure);
  });
});
