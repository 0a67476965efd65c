// A JAAS login configuration file as Java's ConfigFile reads it (the file ZooKeeper users name with
// -Djava.security.auth.login.config):
//
//   Server {
//     org.apache.zookeeper.server.auth.DigestLoginModule required
//       user_super="adminsecret"
//       user_bob="bobsecret";
//   };
//
// Sections of login modules, each with a control flag and key=value options; values quoted (with
// backslash escapes) or bare words; comments `//`, `/* */` and, as Java's StreamTokenizer has it,
// a lone `/` to the end of the line. Errors read like Java's ("Line N: expected [x], found [y]").

export interface JaasEntry {
  module: string;
  flag: 'required' | 'requisite' | 'sufficient' | 'optional';
  options: Map<string, string>;
}

export class JaasSyntaxError extends Error {}

type Token = { kind: 'word' | 'string'; text: string; line: number } | { kind: 'char'; text: string; line: number } | { kind: 'eof'; line: number };

const isWordStart = (c: string): boolean => /[A-Za-z$_*]/.test(c) || c.charCodeAt(0) >= 0xa0;
const isWordPart = (c: string): boolean => isWordStart(c) || /[0-9.\-]/.test(c);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (let k = i; k < stop; k++) if (text[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      // A quoted string ends at its closing quote, or (silently) at the end of the line.
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') {
        if (text[i] === '\\' && i + 1 < text.length) {
          const e = text[i + 1];
          const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', a: '\x07', v: '\v' };
          if (/[0-7]/.test(e)) {
            const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1))?.[0] ?? e;
            s += String.fromCharCode(parseInt(oct, 8));
            i += 1 + oct.length;
          } else {
            s += esc[e] ?? e;
            i += 2;
          }
          continue;
        }
        s += text[i++];
      }
      if (text[i] === '"') i++;
      out.push({ kind: 'string', text: s, line });
      continue;
    }
    if (isWordStart(c)) {
      let w = '';
      while (i < text.length && isWordPart(text[i])) w += text[i++];
      out.push({ kind: 'word', text: w, line });
      continue;
    }
    out.push({ kind: 'char', text: c, line });
    i++;
  }
  out.push({ kind: 'eof', line });
  return out;
}

/** Parses the file's text into sections; throws JaasSyntaxError with Java's wording. */
export function parseJaas(text: string): Map<string, JaasEntry[]> {
  const tokens = tokenize(text);
  let p = 0;
  const peek = (): Token => tokens[p];
  const found = (t: Token): string => (t.kind === 'eof' ? 'end of file' : t.text);
  const fail = (what: string, t: Token): never => {
    throw new JaasSyntaxError(t.kind === 'eof' ? `expected [${what}], read [end of file]` : `Line ${t.line}: expected [${what}], found [${found(t)}]`);
  };
  const expectChar = (c: string): void => {
    const t = tokens[p++];
    if (t.kind !== 'char' || t.text !== c) fail(c, t);
  };
  const word = (what: string): string => {
    const t = tokens[p++];
    if (t.kind !== 'word' && t.kind !== 'string') fail(what, t);
    return (t as { text: string }).text;
  };
  const atChar = (c: string): boolean => { const t = peek(); return t.kind === 'char' && t.text === c; };
  const sections = new Map<string, JaasEntry[]>();
  while (peek().kind !== 'eof') {
    const name = word('login configuration name');
    if (sections.has(name)) throw new JaasSyntaxError(`Can not specify multiple entries for ${name}`);
    expectChar('{');
    const entries: JaasEntry[] = [];
    while (!atChar('}')) {
      if (peek().kind === 'eof') fail('}', peek());
      const module = word('LoginModule class name');
      const flagText = word('controlFlag');
      const flag = flagText.toLowerCase();
      if (flag !== 'required' && flag !== 'requisite' && flag !== 'sufficient' && flag !== 'optional') {
        throw new JaasSyntaxError(`Invalid control flag, ${flagText.toUpperCase()}`);
      }
      const options = new Map<string, string>();
      while (!atChar(';')) {
        if (peek().kind === 'eof') fail(';', peek());
        const key = word('option key');
        expectChar('=');
        const v = tokens[p++];
        if (v.kind !== 'word' && v.kind !== 'string') fail('option value', v);
        options.set(key, (v as { text: string }).text);
      }
      expectChar(';');
      entries.push({ module, flag, options });
    }
    expectChar('}');
    expectChar(';');
    sections.set(name, entries);
  }
  return sections;
}
