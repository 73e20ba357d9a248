/**
 * Doubles as MLflow stores them. JSON has no NaN/Infinity and JSON.stringify drops the sign of -0,
 * so REST bodies carry number tokens built here; the file store uses Python's `str(float)` spelling.
 */

/** The value MLflow's SQL store writes for +Infinity (and its negation for -Infinity). */
export const SQL_STORE_INFINITY = 1.7976931348623157e308;

/** A JSON token for a double: a number literal, or MLflow's strings for the non-finite values. */
export function doubleToJsonToken(v: number): string {
  if (Number.isNaN(v)) return '"NaN"';
  if (v === Infinity) return '"Infinity"';
  if (v === -Infinity) return '"-Infinity"';
  if (Object.is(v, -0)) return '-0.0';
  // Number#toString is the shortest string that round-trips, and is always valid JSON here.
  return String(v);
}

/** Decode a double field from MLflow JSON (a number or one of "NaN", "Infinity", "-Infinity"). */
export function doubleFromJson(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = parseDoubleText(v);
    if (n !== undefined) return n;
  }
  throw new Error(`not a double: ${JSON.stringify(v)}`);
}

/** A metric value as MLflow's FileStore writes it (`f"{value}"` in Python: nan, inf, -inf, -0.0). */
export function doubleToFileText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0.0';
  return String(v);
}

/** Parse the double spellings of Python (`nan`, `inf`, `1e+16`) and of JSON/JS (`NaN`, `Infinity`). */
export function parseDoubleText(text: string): number | undefined {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}

/** Integer fields (timestamps, steps) arrive as JSON numbers or, for int64, as strings. */
export function intFromJson(v: unknown, fallback = 0): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new Error(`not an integer: ${JSON.stringify(v)}`);
  return n;
}
