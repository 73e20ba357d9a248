import { describe, expect, it } from 'vitest';
import { EmofuseError, InputError, asInputError, isEmofuseError, isInputError, underOption } from '../src/index.ts';

describe('error kinds', () => {
  it('an InputError is an EmofuseError of kind input; a plain one is a failure', () => {
    const bad = new InputError('not valid UTF-8', { where: 'a.csv:3', fix: 're-save as UTF-8' });
    expect(bad).toBeInstanceOf(EmofuseError);
    expect([bad.kind, isInputError(bad), isEmofuseError(bad)]).toEqual(['input', true, true]);
    expect(bad.describe()).toBe('a.csv:3: not valid UTF-8\n  fix: re-save as UTF-8');
    const fail = new EmofuseError('disk full');
    expect([fail.kind, isInputError(fail)]).toEqual(['failure', false]);
    expect(isInputError(new Error('x'))).toBe(false);
  });

  it('asInputError re-kinds an EmofuseError, keeping its text; other values pass through', () => {
    const e = asInputError(new EmofuseError('duplicate utterance id "u1"', { where: 'm.csv' })) as EmofuseError;
    expect([isInputError(e), e.message, e.where]).toEqual([true, 'duplicate utterance id "u1"', 'm.csv']);
    const plain = new TypeError('bug');
    expect(asInputError(plain)).toBe(plain);
  });

  it('underOption puts the option at fault under the caller\'s block, keeping kind and text; asInputError keeps it', () => {
    const e = new InputError('the class list names a class twice', { option: 'classes', fix: 'list each class once' });
    const up = underOption(e, 'corpus') as EmofuseError;
    expect([up.option, up.kind, up.message, up.fix]).toEqual(['corpus.classes', 'input', e.message, e.fix]);
    expect((underOption(new InputError('x', { option: 'seed' }), (o) => (o === 'seed' ? 'seeds' : `split.${o}`)) as EmofuseError).option).toBe('seeds');
    expect((asInputError(new EmofuseError('x', { option: 'path' })) as EmofuseError).option).toBe('path');
    const plain = new InputError('no option');
    expect(underOption(plain, 'corpus')).toBe(plain);
  });
});
