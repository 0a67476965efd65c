// Parsers for single config values with Java's number syntax: keys ZooKeeper reads with
// Integer.parseInt accept decimal only, system properties read with Integer.getInteger accept
// Integer.decode's hex (0x, #) and octal (leading 0) too.

export const INT_MIN = -2147483648;
export const INT_MAX = 2147483647;

export type IntSyntax = 'parseInt' | 'decode';

/** Java Integer.parseInt / Long.parseLong: optional sign, decimal digits, nothing else. */
function parseDecimal(s: string): bigint | null {
  return /^[+-]?[0-9]+$/.test(s) ? BigInt(s) : null;
}

/** Java Integer.decode / Long.decode: sign, then 0x/0X/# hex, leading-0 octal, or decimal. */
function parseDecoded(s: string): bigint | null {
  const m = /^([+-]?)(0[xX]|#|0(?=[0-9]))?([0-9a-fA-F]+)$/.exec(s);
  if (m === null) return null;
  const [, sign, radixPrefix, digits] = m;
  let magnitude: bigint;
  if (radixPrefix === undefined) {
    if (!/^[0-9]+$/.test(digits)) return null;
    magnitude = BigInt(digits);
  } else if (radixPrefix === '0') {
    if (!/^[0-7]+$/.test(digits)) return null;
    magnitude = BigInt('0o' + digits);
  } else {
    magnitude = BigInt('0x' + digits);
  }
  return sign === '-' ? -magnitude : magnitude;
}

/** A 32-bit Java int, or null when Java would throw NumberFormatException. */
export function parseJavaInt(s: string, syntax: IntSyntax = 'parseInt'): number | null {
  const n = syntax === 'decode' ? parseDecoded(s) : parseDecimal(s);
  if (n === null || n < BigInt(INT_MIN) || n > BigInt(INT_MAX)) return null;
  return Number(n);
}

/**
 * A Java long kept as a JS number; values beyond 2^53 are refused rather than rounded, since every
 * long setting we read (sizes in KB, intervals in ms, server ids) is far below that in practice.
 */
export function parseJavaLong(s: string, syntax: IntSyntax = 'parseInt'): number | null {
  const n = syntax === 'decode' ? parseDecoded(s) : parseDecimal(s);
  if (n === null || n < BigInt(Number.MIN_SAFE_INTEGER) || n > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(n);
}

/**
 * Java Double.parseDouble for the forms a config value takes: optional sign, decimal digits with an
 * optional point and exponent, and Java's optional f/F/d/D suffix ("0.5d"). NaN, Infinity, hex
 * floats and values too large for a double, which Java also accepts, are refused: no setting means
 * anything sensible by them.
 */
export function parseJavaDouble(s: string): number | null {
  const m = /^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[fFdD]?$/.exec(s);
  if (m === null) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : null;
}
