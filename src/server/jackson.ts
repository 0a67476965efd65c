// JSON as ZooKeeper's AdminServer writes it: Jackson's default pretty printer (two-space indent,
// `"key" : value`, arrays inline as `[ a, b ]`, empty ones as `[ ]` and `{ }`, no final newline),
// with 64-bit longs exact (bigint) and doubles in Java's notation (`0.0`, `4.4286`).

import { javaDouble } from './four-letter-java.js';

/** A number Java holds as a double: printed with Double.toString (`0.0`, not `0`). */
export class JavaDouble {
  constructor(readonly value: number) {}
}

type Json = null | boolean | number | bigint | string | JavaDouble | readonly Json[] | ReadonlyMap<string, Json>;

function scalar(v: Exclude<Json, readonly Json[] | ReadonlyMap<string, Json>>): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : javaDouble(v);
  if (v instanceof JavaDouble) return javaDouble(v.value);
  return JSON.stringify(v);
}

function write(v: Json, indent: string): string {
  if (Array.isArray(v)) {
    const items = v as readonly Json[];
    return items.length === 0 ? '[ ]' : `[ ${items.map((x) => write(x, indent)).join(', ')} ]`;
  }
  if (v instanceof Map) {
    if (v.size === 0) return '{ }';
    const inner = `${indent}  `;
    const fields = [...v].map(([k, x]) => `${inner}${JSON.stringify(k)} : ${write(x, inner)}`);
    return `{\n${fields.join(',\n')}\n${indent}}`;
  }
  return scalar(v as Exclude<Json, readonly Json[] | ReadonlyMap<string, Json>>);
}

export function jacksonPretty(v: Json): string {
  return write(v, '');
}
