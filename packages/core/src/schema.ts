import { z } from 'zod';

/**
 * The zod building blocks every package's config slice uses, so a wrong value reads the same
 * everywhere ("expected a positive number, got 'big'") whichever package owns the key.
 */
export const posInt = z.number({ error: 'expected a number' }).int('expected an integer').positive('expected a positive number');
export const nonNegInt = z.number({ error: 'expected a number' }).int('expected an integer').min(0, 'expected 0 or more');
export const nonEmptyText = z.string({ error: 'expected a string' }).min(1, 'expected a non-empty string');
export const rate = (max = 0.95) => z.number({ error: 'expected a number' }).min(0, `expected a rate in [0, ${max}]`).max(max, `expected a rate in [0, ${max}]`);
export const widths = (example: string) => z.array(posInt, { error: `expected a list of positive integers, e.g. ${example}` }).min(1);
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.map((v) => `'${v}'`).join(', ')}` });
