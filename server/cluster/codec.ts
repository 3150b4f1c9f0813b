/**
 * JSON for results crossing Redis, exact for every double: JSON carries finite numbers exactly
 * (shortest round-trip form) but turns NaN and ±Infinity into null and -0 into 0, which a solve's records can hold (e.g.
 * an improvement of a rejected step). Those travel as {"$num":"NaN"}, {"$num":"-0"} etc.
 */
const TAG = '$num';

export function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? { [TAG]: Object.is(v, -0) ? '-0' : String(v) } : v));
}

export function decode<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === TAG) return Number((v as Record<string, string>)[TAG]);
    }
    return v;
  }) as T;
}
