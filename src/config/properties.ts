// A reader for the `.properties` format as java.util.Properties.load reads it, because zoo.cfg is
// loaded that way by ZooKeeper; each entry keeps the line it started on so errors can point at it.
//
// Grammar (natural lines end at \n, \r or \r\n):
//   logical-line := ws* (comment | entry)            -- blank natural lines are skipped
//   comment      := ('#' | '!') rest-of-natural-line   -- never continued by a trailing backslash
//   entry        := key (ws* [=:] ws* | ws+) value
//   key          := up to the first unescaped '=', ':' or ws (space, \t, \f)
//   continuation := an odd run of backslashes ending a natural line joins the next one, whose
//                   leading ws is dropped; a continued line starting with '#' is not a comment
//   escapes      := \t \n \r \f, \uXXXX, and '\' before any other character stands for that character
// ZooKeeper then trims key and value (Java String.trim: every char <= U+0020), which `trimmed` does.

import { ConfigError } from './errors.js';

export interface PropertyEntry {
  key: string;
  value: string;
  /** 1-based natural line on which the logical line starts. */
  line: number;
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\f';

interface LogicalLine {
  text: string;
  line: number;
}

/** Splits text into logical lines exactly as Java's Properties.LineReader does. */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let buf = '';
  let startLine = 0;
  let lineNo = 1;
  let skipWhiteSpace = true;
  let appendedLineBegin = false;
  let precedingBackslash = false;

  const emit = (): void => {
    out.push({ text: precedingBackslash ? buf.slice(0, -1) : buf, line: startLine });
    buf = '';
    skipWhiteSpace = true;
    appendedLineBegin = false;
    precedingBackslash = false;
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const atLine = lineNo;
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) lineNo++;
    if (skipWhiteSpace) {
      if (isBlank(c)) continue;
      if (!appendedLineBegin && (c === '\r' || c === '\n')) continue;
      skipWhiteSpace = false;
      appendedLineBegin = false;
    }
    // Java decides "comment" by the logical line being empty so far, not by being at its start:
    // after a line holding only a backslash, a following '#' line is still a comment.
    if (buf.length === 0 && (c === '#' || c === '!')) {
      while (i + 1 < text.length && text[i + 1] !== '\r' && text[i + 1] !== '\n') i++;
      if (i + 1 < text.length) {
        i++;
        if (text[i] === '\n' || text[i + 1] !== '\n') lineNo++;
      }
      skipWhiteSpace = true;
      continue;
    }
    if (c !== '\n' && c !== '\r') {
      if (buf.length === 0) startLine = atLine;
      buf += c;
      precedingBackslash = c === '\\' ? !precedingBackslash : false;
      continue;
    }
    // End of a natural line.
    if (buf.length === 0) {
      skipWhiteSpace = true;
      continue;
    }
    if (i + 1 >= text.length) break; // end of input: emitted below
    if (!precedingBackslash) {
      emit();
      continue;
    }
    buf = buf.slice(0, -1);
    skipWhiteSpace = true;
    appendedLineBegin = true;
    precedingBackslash = false;
    if (c === '\r' && text[i + 1] === '\n') {
      i++;
      lineNo++;
    }
  }
  if (buf.length > 0) emit();
  return out;
}

/** Resolves the escapes of a key or value (Properties.loadConvert). */
function unescape(s: string, where: { line: number; file: string | null }): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    if (i >= s.length) break; // a lone trailing backslash was a continuation marker already dropped
    const e = s[i];
    if (e === 'u') {
      const hex = s.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new ConfigError('malformed \\uxxxx escape', { line: where.line, file: where.file });
      }
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else if (e === 't') out += '\t';
    else if (e === 'r') out += '\r';
    else if (e === 'n') out += '\n';
    else if (e === 'f') out += '\f';
    else out += e;
  }
  return out;
}

/** Java's String.trim: strips every code unit <= U+0020 from both ends. */
export function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

/**
 * Every entry of a properties text, in file order, duplicates included (Java keeps the last one;
 * callers decide what to say about the others). Key and value are unescaped but not trimmed.
 */
export function parseProperties(text: string, file: string | null = null): PropertyEntry[] {
  const entries: PropertyEntry[] = [];
  for (const { text: l, line } of logicalLines(text)) {
    let keyLen = 0;
    let valueStart = l.length;
    let hasSep = false;
    let precedingBackslash = false;
    while (keyLen < l.length) {
      const c = l[keyLen];
      if ((c === '=' || c === ':') && !precedingBackslash) {
        valueStart = keyLen + 1;
        hasSep = true;
        break;
      }
      if (isBlank(c) && !precedingBackslash) {
        valueStart = keyLen + 1;
        break;
      }
      precedingBackslash = c === '\\' ? !precedingBackslash : false;
      keyLen++;
    }
    while (valueStart < l.length) {
      const c = l[valueStart];
      if (!isBlank(c)) {
        if (!hasSep && (c === '=' || c === ':')) hasSep = true;
        else break;
      }
      valueStart++;
    }
    entries.push({
      key: unescape(l.slice(0, keyLen), { line, file }),
      value: unescape(l.slice(valueStart), { line, file }),
      line,
    });
  }
  return entries;
}

/** Entries with key and value trimmed the way QuorumPeerConfig trims them before use. */
export function trimmed(entries: PropertyEntry[]): PropertyEntry[] {
  return entries.map((e) => ({ key: javaTrim(e.key), value: javaTrim(e.value), line: e.line }));
}
