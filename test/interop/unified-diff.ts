// A small line-based unified diff (LCS), so a failing interop comparison shows which steps differ.
// Transcripts are a few hundred lines; the quadratic table is fine at that size.

const CONTEXT_LINES = 3;

type Edit = { kind: ' ' | '-' | '+'; line: string; oldNo: number; newNo: number };

function editScript(a: string[], b: string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      edits.push({ kind: ' ', line: a[i], oldNo: i, newNo: j });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      // Deletions first, as diff -u prints them.
      edits.push({ kind: '-', line: a[i], oldNo: i, newNo: j });
      i++;
    } else {
      edits.push({ kind: '+', line: b[j], oldNo: i, newNo: j });
      j++;
    }
  }
  return edits;
}

/** Unified diff of two texts, or '' when they are equal. */
export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string): string {
  if (oldText === newText) return '';
  const edits = editScript(oldText.split('\n'), newText.split('\n'));
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  let k = 0;
  while (k < edits.length) {
    if (edits[k].kind === ' ') {
      k++;
      continue;
    }
    // Grow a hunk around this change, merging changes separated by at most 2*context equal lines.
    const start = Math.max(0, k - CONTEXT_LINES);
    let end = k;
    let lastChange = k;
    while (end < edits.length && end - lastChange <= 2 * CONTEXT_LINES) {
      if (edits[end].kind !== ' ') lastChange = end;
      end++;
    }
    end = Math.min(edits.length, lastChange + CONTEXT_LINES + 1);
    const hunk = edits.slice(start, end);
    const oldCount = hunk.filter((e) => e.kind !== '+').length;
    const newCount = hunk.filter((e) => e.kind !== '-').length;
    out.push(`@@ -${hunk[0].oldNo + 1},${oldCount} +${hunk[0].newNo + 1},${newCount} @@`);
    for (const e of hunk) out.push(`${e.kind}${e.line}`);
    k = end;
  }
  return out.join('\n') + '\n';
}
