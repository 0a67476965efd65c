// Keeps src/zab/ a pure state machine: no node:* imports, no timers, no clock reads (STYLE.md).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const zabDir = join(new URL('../../..', import.meta.url).pathname, 'src', 'zab');
const forbidden: Array<[RegExp, string]> = [
  [/from\s+['"]node:/, 'node:* import'],
  [/require\(/, 'require()'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'timer'],
  [/\bDate\.now\s*\(|\bnew Date\s*\(/, 'clock read'],
  [/\bperformance\.now\s*\(|\bprocess\.hrtime/, 'clock read'],
  [/\bprocess\./, 'process access'],
];

test('src/zab has no I/O, timers or clock reads', () => {
  const files = readdirSync(zabDir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 0, 'src/zab has files');
  for (const f of files) {
    const text = readFileSync(join(zabDir, f), 'utf8');
    for (const [re, what] of forbidden) {
      assert.ok(!re.test(text), `${f} contains a ${what}`);
    }
  }
});
