// The server side of SASL DIGEST-MD5 (RFC 2831) as ZooKeeper's clients expect it from the JDK's
// DigestMD5Server with ZooKeeper's settings: protocol "zookeeper", server name and realm
// "zk-sasl-md5", qop "auth" only, algorithm md5-sess. Two steps: the client's first (empty) token
// gets the challenge; its digest-response is checked against the user's password and answered with
// rspauth, after which the user is authenticated. Any fault is a SaslFailure.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SASL_PROTOCOL = 'zookeeper';
export const SASL_SERVER_NAME = 'zk-sasl-md5';
const DIGEST_URI = `${SASL_PROTOCOL}/${SASL_SERVER_NAME}`;
/** DigestMD5Base's limit on a client response. */
const MAX_RESPONSE_BYTES = 4096;

export class SaslFailure extends Error {}

const KNOWN = new Set(['username', 'realm', 'nonce', 'cnonce', 'nonce-count', 'qop', 'digest-uri', 'response', 'maxbuf', 'charset', 'cipher', 'authzid', 'auth-param']);

/** The directives of a digest-response: keys case-insensitive, values quoted or bare; a repeated known key fails. */
export function parseDirectives(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  const skip = (): void => { while (i < text.length && /[\s,]/.test(text[i])) i++; };
  skip();
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new SaslFailure(`DIGEST-MD5: directive key without a value at ${i}`);
    const key = text.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (i < text.length && /\s/.test(text[i])) i++;
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
      if (text[i] !== '"') throw new SaslFailure('DIGEST-MD5: unterminated quoted value');
      i++;
    } else {
      while (i < text.length && text[i] !== ',') value += text[i++];
      value = value.trim();
    }
    if (KNOWN.has(key)) {
      if (out.has(key)) throw new SaslFailure(`DIGEST-MD5: peer sent more than one ${key} directive`);
      out.set(key, value);
    }
    skip();
  }
  return out;
}

/** RFC 2831: user, realm and password are hashed as ISO-8859-1 when they fit, else UTF-8. */
const encoded = (s: string): Buffer => ([...s].every((c) => c.charCodeAt(0) <= 0xff) ? Buffer.from(s, 'latin1') : Buffer.from(s, 'utf8'));
const md5 = (...parts: Array<Buffer | string>): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};
const hex = (b: Buffer): string => b.toString('hex');

export interface DigestResult {
  /** The token to send back. */
  token: Buffer;
  /** Set once authenticated: the username (ZooKeeper authorizes by it, whatever authzid says). */
  user?: string;
}

export class DigestMd5Server {
  private state: 'start' | 'challenged' | 'complete' = 'start';
  private nonce = '';

  /** `passwords`: user → password (the JAAS Server section's user_NAME options). */
  /** `makeNonce`: the challenge's nonce (tests give a fixed one); 30 random bytes in base64 by default, as the JDK. */
  constructor(private readonly passwords: ReadonlyMap<string, string>, private readonly makeNonce = (): string => randomBytes(30).toString('base64')) {}

  get complete(): boolean {
    return this.state === 'complete';
  }

  evaluate(response: Buffer): DigestResult {
    if (this.state === 'start') {
      // A first token that is not empty is ignored, as the JDK does: the challenge goes out anyway.
      this.state = 'challenged';
      this.nonce = this.makeNonce();
      return { token: Buffer.from(`realm="${SASL_SERVER_NAME}",nonce="${this.nonce}",charset=utf-8,algorithm=md5-sess`, 'utf8') };
    }
    if (this.state === 'complete') throw new SaslFailure('DIGEST-MD5: authentication already completed');
    if (response.length > MAX_RESPONSE_BYTES) throw new SaslFailure(`DIGEST-MD5: response too long (${response.length} bytes)`);
    const d = parseDirectives(response.toString('utf8'));
    const charset = d.get('charset');
    if (charset !== undefined && charset !== 'utf-8') throw new SaslFailure(`DIGEST-MD5: charset must be utf-8, got ${charset}`);
    const user = d.get('username');
    if (user === undefined) throw new SaslFailure('DIGEST-MD5: missing username');
    const realm = d.get('realm') ?? '';
    if (realm !== SASL_SERVER_NAME) throw new SaslFailure(`DIGEST-MD5: realm ${JSON.stringify(realm)} is not ${SASL_SERVER_NAME}`);
    if (d.get('nonce') !== this.nonce) throw new SaslFailure('DIGEST-MD5: nonce does not match');
    const cnonce = d.get('cnonce');
    if (cnonce === undefined) throw new SaslFailure('DIGEST-MD5: missing cnonce');
    const qop = d.get('qop') ?? 'auth';
    if (qop === 'auth-int' || qop === 'auth-conf') throw new SaslFailure(`DIGEST-MD5: server does not support qop ${qop}`);
    if (qop !== 'auth') throw new SaslFailure(`DIGEST-MD5: invalid qop ${qop}`);
    const uri = d.get('digest-uri');
    if (uri === undefined || uri.toLowerCase() !== DIGEST_URI) throw new SaslFailure(`DIGEST-MD5: digest-uri ${JSON.stringify(uri)} is not ${DIGEST_URI}`);
    const clientResponse = d.get('response');
    if (clientResponse === undefined) throw new SaslFailure('DIGEST-MD5: missing response');
    // Unlike ZooKeeper 3.8 (ZOOKEEPER-4839), an unknown user is refused outright, as 3.9.3 does.
    const password = this.passwords.get(user);
    if (password === undefined) throw new SaslFailure(`DIGEST-MD5: no such user ${JSON.stringify(user)}`);
    const authzid = d.get('authzid');
    const a1 = Buffer.concat([
      md5(encoded(user), ':', encoded(realm), ':', encoded(password)),
      Buffer.from(`:${this.nonce}:${cnonce}${authzid !== undefined ? `:${authzid}` : ''}`, 'utf8'),
    ]);
    const ha1 = hex(md5(a1));
    // The JDK reads nonce-count, not the nc clients send, and so always counts 00000001.
    const kd = (a2: string): string => hex(md5(`${ha1}:${this.nonce}:00000001:${cnonce}:${qop}:${hex(md5(a2))}`));
    const expected = Buffer.from(kd(`AUTHENTICATE:${uri}`), 'utf8');
    const got = Buffer.from(clientResponse, 'utf8');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new SaslFailure(`DIGEST-MD5: digest response does not match for user ${JSON.stringify(user)}`);
    }
    this.state = 'complete';
    return { token: Buffer.from(`rspauth=${kd(`:${uri}`)}`, 'utf8'), user };
  }
}
