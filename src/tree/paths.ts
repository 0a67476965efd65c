// Znode path rules: validation with Apache ZooKeeper's PathUtils messages, and the small path helpers
// (parent, basename, subtree test, sequential suffix) the tree and the request pipeline share.

/**
 * Checks a znode path the way ZooKeeper's PathUtils.validatePath does. Returns the error message ZK
 * would put in its IllegalArgumentException, or null when the path is valid. A sequential create is
 * validated with a "1" appended, as ZK does, so a trailing "/" is allowed there.
 */
export function validatePath(path: string, isSequential = false): string | null {
  const p = isSequential ? path + '1' : path;
  if (p.length === 0) return 'Path length must be > 0';
  if (p.charCodeAt(0) !== 0x2f) return 'Path must start with / character';
  if (p.length === 1) return null;
  if (p.charCodeAt(p.length - 1) === 0x2f) return 'Path must not end with / character';

  let reason: string | null = null;
  let last = 0x2f;
  // Iterates UTF-16 code units like Java's char[]; surrogates fall in the rejected 0xd800-0xf8ff range,
  // so any character outside the BMP is refused, exactly as in ZooKeeper.
  for (let i = 1; i < p.length; last = p.charCodeAt(i), i++) {
    const c = p.charCodeAt(i);
    if (c === 0) {
      reason = `null character not allowed @${i}`;
      break;
    } else if (c === 0x2f && last === 0x2f) {
      reason = `empty node name specified @${i}`;
      break;
    } else if (c === 0x2e && last === 0x2e) {
      if (p.charCodeAt(i - 2) === 0x2f && (i + 1 === p.length || p.charCodeAt(i + 1) === 0x2f)) {
        reason = `relative paths not allowed @${i}`;
        break;
      }
    } else if (c === 0x2e) {
      if (p.charCodeAt(i - 1) === 0x2f && (i + 1 === p.length || p.charCodeAt(i + 1) === 0x2f)) {
        reason = `relative paths not allowed @${i}`;
        break;
      }
    } else if ((c > 0x00 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff)) {
      reason = `invalid character @${i}`;
      break;
    }
  }
  return reason === null ? null : `Invalid path string "${p}" caused by ${reason}`;
}

/** "/a/b" → "/a", "/a" → "/", "/" → "" (the root has no parent). */
export function parentOf(path: string): string {
  if (path === '/' || path === '') return '';
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** "/a/b" → "b"; "/" → "". */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Whether `path` is `prefix` itself or lies below it. */
export function isUnder(path: string, prefix: string): boolean {
  if (prefix === '/' || prefix === '') return path.startsWith('/') || path === '';
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f);
}

/** Joins a parent path and a child name ("/" + "a" → "/a"). */
export function childPath(parent: string, name: string): string {
  return parent === '/' || parent === '' ? '/' + name : parent + '/' + name;
}

/**
 * The suffix ZooKeeper appends to a sequential node: the parent's stored cversion (its count of
 * creates) as Java's "%010d" prints it, so a wrapped negative counter keeps its sign.
 */
export function sequenceSuffix(parentCversion: number): string {
  if (parentCversion < 0) return '-' + String(-parentCversion).padStart(9, '0');
  return String(parentCversion).padStart(10, '0');
}
