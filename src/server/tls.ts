// TLS on the client port (secureClientPort), configured as ZooKeeper's ClientX509Util reads it:
// key and trust stores in the formats ZooKeeper accepts (PEM, PKCS12, JKS: the type from
// ssl.*.type or the file's extension), ssl.clientAuth (need, ZooKeeper's default; want; none),
// ssl.protocol / ssl.enabledProtocols, and ssl.ciphersuites in Java's (IANA) names. A client
// certificate authenticates as the `x509` scheme with its subject in RFC 2253 form, as
// X509AuthenticationProvider does. With zookeeper.client.certReload the stores are watched and a
// changed file takes effect for new connections, as ZooKeeper's FileChangeWatcher does.
// Every problem with a store is an error that names the key to fix.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { createRequire } from 'node:module';
import type jks from 'jks-js';
import type forge from 'node-forge';
import type { SslSettings, StoreSettings } from '../config/types.js';
import { KeyedConfigError } from './keyed-error.js';

// node-forge and jks-js take ~40 ms each to load: only a server that reads such a store pays it.
const requireLazily = createRequire(import.meta.url);
let forgeModule: typeof forge | undefined;
let jksModule: typeof jks | undefined;
function forgeLib(): typeof forge {
  return (forgeModule ??= requireLazily('node-forge') as typeof forge);
}
function jksLib(): typeof jks {
  return (jksModule ??= requireLazily('jks-js') as typeof jks);
}

export class TlsConfigError extends KeyedConfigError {}

type StoreKind = 'keyStore' | 'trustStore';
type StoreType = 'PEM' | 'JKS' | 'PKCS12';

/** KeyStoreFileType.fromPropertyValueOrFileName: the given type, else the file's extension. */
function storeType(which: StoreKind, s: StoreSettings, location: string): StoreType {
  if (s.type !== null) return s.type;
  const ext = path.extname(location).toLowerCase();
  if (ext === '.pem') return 'PEM';
  if (ext === '.jks') return 'JKS';
  if (ext === '.p12' || ext === '.pfx') return 'PKCS12';
  throw new TlsConfigError(`ssl.${which}.type`, `not set, and the type of ${location} cannot be told from its name (.pem, .p12, .pfx or .jks)`);
}

function readStoreFile(which: StoreKind, location: string): Buffer {
  try {
    return readFileSync(location);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new TlsConfigError(`ssl.${which}.location`, `cannot read ${location}: ${why}`);
  }
}

/** getPasswordFromConfigPropertyOrFile: the passwordPath file's content wins over the password. */
function storePassword(which: StoreKind, s: StoreSettings): string {
  if (s.passwordPath === null) return s.password;
  try {
    return readFileSync(s.passwordPath, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new TlsConfigError(`ssl.${which}.passwordPath`, `cannot read ${s.passwordPath}: ${(err as Error).message}`);
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const pemBlocks = (text: string, label: RegExp): string[] =>
  [...text.matchAll(PEM_BLOCK)].filter((m) => label.test(m[1])).map((m) => m[0]);

interface KeyMaterial { key: string; cert: string[] }

function wrongPassword(which: StoreKind, location: string, detail: string): TlsConfigError {
  return new TlsConfigError(`ssl.${which}.password`, `cannot open ${location} with the password given (${detail})`);
}

function badStore(which: StoreKind, location: string, type: StoreType, detail: string): TlsConfigError {
  return new TlsConfigError(`ssl.${which}.location`, `${location} is not a valid ${type} store: ${detail}`);
}

function parsePkcs12(which: StoreKind, location: string, bytes: Buffer, password: string): forge.pkcs12.Pkcs12Pfx {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forgeLib().asn1.fromDer(bytes.toString('binary'));
  } catch (err) {
    throw badStore(which, location, 'PKCS12', (err as Error).message);
  }
  try {
    return forgeLib().pkcs12.pkcs12FromAsn1(asn1, password);
  } catch (err) {
    const msg = (err as Error).message;
    if (/MAC could not be verified|Invalid password/i.test(msg)) throw wrongPassword(which, location, msg);
    throw badStore(which, location, 'PKCS12', msg);
  }
}

/** A JKS store's entries as PEM (keys decrypted with the store's password). */
function readJks(which: StoreKind, location: string, bytes: Buffer, password: string): jks.JksResult {
  try {
    return jksLib().toPem(bytes, password);
  } catch (err) {
    const msg = (err as Error).message;
    if (/password/i.test(msg)) throw wrongPassword(which, location, msg);
    throw badStore(which, location, 'JKS', msg);
  }
}

function pkcs12Certs(p12: forge.pkcs12.Pkcs12Pfx): string[] {
  const bags = p12.getBags({ bagType: forgeLib().pki.oids.certBag })[forgeLib().pki.oids.certBag] ?? [];
  return bags.flatMap((b) => (b.cert ? [forgeLib().pki.certificateToPem(b.cert)] : []));
}

function loadKeyStore(s: StoreSettings): KeyMaterial {
  const which = 'keyStore';
  const location = s.location as string;
  const type = storeType(which, s, location);
  const bytes = readStoreFile(which, location);
  const password = storePassword(which, s);
  if (type === 'PEM') {
    const text = bytes.toString('utf8');
    const keys = pemBlocks(text, /PRIVATE KEY$/);
    const cert = pemBlocks(text, /^CERTIFICATE$/);
    if (keys.length === 0) throw badStore(which, location, type, 'no private key in it');
    if (cert.length === 0) throw badStore(which, location, type, 'no certificate in it');
    let key: string;
    try {
      key = createPrivateKey({ key: keys[0], format: 'pem', ...(password !== '' ? { passphrase: password } : {}) })
        .export({ format: 'pem', type: 'pkcs8' }).toString();
    } catch (err) {
      const msg = (err as Error).message;
      if (/ENCRYPTED/.test(keys[0]) || /bad decrypt|passphrase/i.test(msg)) throw wrongPassword(which, location, msg);
      throw badStore(which, location, type, msg);
    }
    return { key, cert };
  }
  if (type === 'JKS') {
    const entries = readJks(which, location, bytes, password);
    const entry = Object.values(entries).find((e) => e.key !== undefined && e.cert !== undefined);
    if (!entry) throw badStore(which, location, type, 'no private key entry in it');
    return { key: entry.key as string, cert: pemBlocks(entry.cert as string, /^CERTIFICATE$/) };
  }
  const p12 = parsePkcs12(which, location, bytes, password);
  const keyBags = [
    ...(p12.getBags({ bagType: forgeLib().pki.oids.pkcs8ShroudedKeyBag })[forgeLib().pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(p12.getBags({ bagType: forgeLib().pki.oids.keyBag })[forgeLib().pki.oids.keyBag] ?? []),
  ];
  const keyBag = keyBags.find((b) => b.key);
  if (!keyBag?.key) throw badStore(which, location, type, 'no private key in it');
  const certs = pkcs12Certs(p12);
  if (certs.length === 0) throw badStore(which, location, type, 'no certificate in it');
  const key = forgeLib().pki.privateKeyToPem(keyBag.key);
  return { key, cert: orderChain(createPrivateKey(key), certs) };
}

/** The certificate of `key` first, then the others (a PKCS12 lists its bags in any order). */
function orderChain(key: ReturnType<typeof createPrivateKey>, certs: string[]): string[] {
  const leaf = certs.findIndex((c) => new X509Certificate(c).checkPrivateKey(key));
  return leaf <= 0 ? certs : [certs[leaf], ...certs.slice(0, leaf), ...certs.slice(leaf + 1)];
}

function loadTrustStore(s: StoreSettings): string[] {
  const which = 'trustStore';
  const location = s.location as string;
  const type = storeType(which, s, location);
  const bytes = readStoreFile(which, location);
  const password = storePassword(which, s);
  let certs: string[];
  if (type === 'PEM') {
    certs = pemBlocks(bytes.toString('utf8'), /^CERTIFICATE$/);
  } else if (type === 'JKS') {
    const entries = readJks(which, location, bytes, password);
    certs = Object.values(entries).flatMap((e) => pemBlocks(e.ca ?? e.cert ?? '', /^CERTIFICATE$/));
  } else {
    certs = pkcs12Certs(parsePkcs12(which, location, bytes, password));
  }
  if (certs.length === 0) throw badStore(which, location, type, 'no certificate in it');
  for (const c of certs) {
    try {
      new X509Certificate(c);
    } catch (err) {
      throw badStore(which, location, type, (err as Error).message);
    }
  }
  return certs;
}

const CIPHER_KEY_EXCHANGE: Record<string, string> = { ECDHE_ECDSA: 'ECDHE-ECDSA-', ECDHE_RSA: 'ECDHE-RSA-', DHE_RSA: 'DHE-RSA-', RSA: '' };

/**
 * A Java (IANA) cipher suite name as OpenSSL names it: TLS 1.3 suites keep theirs;
 * TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 is ECDHE-RSA-AES128-GCM-SHA256 and so on. null when unknown.
 */
export function opensslCipherName(java: string): string | null {
  if (/^TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256|AES_128_CCM_SHA256|AES_128_CCM_8_SHA256)$/.test(java)) return java;
  const m = /^TLS_(ECDHE_ECDSA|ECDHE_RSA|DHE_RSA|RSA)_WITH_(AES_128|AES_256|CHACHA20)_(GCM|CBC|POLY1305)_(SHA|SHA256|SHA384)$/.exec(java);
  if (!m) return null;
  const [, kx, cipher, mode, mac] = m;
  const c = cipher === 'CHACHA20' ? 'CHACHA20' : cipher.replace('_', '');
  const tail = mode === 'GCM' ? `-GCM-${mac}` : mode === 'POLY1305' ? '-POLY1305' : mac === 'SHA' ? '-SHA' : `-${mac}`;
  const name = `${CIPHER_KEY_EXCHANGE[kx]}${c}${tail}`;
  return tls.getCiphers().includes(name.toLowerCase()) ? name : null;
}

const PROTOCOL_ORDER = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

/** The tls.createServer options for these settings; reads the stores (errors name the key). */
export function secureContextOptions(ssl: SslSettings): tls.SecureContextOptions & tls.TlsOptions {
  if (ssl.keyStore.location === null) throw new TlsConfigError('ssl.keyStore.location', 'not set, and a secureClientPort needs a key store');
  const { key, cert } = loadKeyStore(ssl.keyStore);
  const ca = ssl.trustStore.location === null ? undefined : loadTrustStore(ssl.trustStore);
  if (ssl.clientAuth !== 'none' && ca === undefined) {
    throw new TlsConfigError('ssl.trustStore.location', `not set, and ssl.clientAuth=${ssl.clientAuth} needs one to check client certificates`);
  }
  // Java enables the context's protocol alone unless ssl.enabledProtocols lists more; TLS can only
  // span a range here, from the oldest listed to the newest.
  const enabled = ssl.enabledProtocols ?? [ssl.protocol];
  const indexes = enabled.map((p) => PROTOCOL_ORDER.indexOf(p));
  const minVersion = PROTOCOL_ORDER[Math.min(...indexes)];
  const maxVersion = PROTOCOL_ORDER[Math.max(...indexes)];
  let ciphers: string | undefined;
  if (ssl.ciphersuites !== null) {
    const names = ssl.ciphersuites.map((c) => {
      const n = opensslCipherName(c);
      if (n === null) throw new TlsConfigError('ssl.ciphersuites', `unknown or unsupported cipher suite ${JSON.stringify(c)}`);
      return n;
    });
    ciphers = names.join(':');
  }
  return {
    key, cert: cert.join('\n'), ...(ca ? { ca } : {}),
    requestCert: ssl.clientAuth !== 'none',
    // want: a client may come without a certificate; one that shows a bad one is refused after the
    // handshake (X509AuthenticationProvider's check), as ZooKeeper refuses it.
    rejectUnauthorized: ssl.clientAuth === 'need',
    minVersion, maxVersion,
    ...(ciphers !== undefined ? { ciphers } : {}),
  };
}

/** X500Principal.getName(): the subject in RFC 2253 form, most specific name first. */
export function rfc2253Subject(cert: X509Certificate): string {
  const escape = (v: string): string =>
    v.replace(/[,+"\\<>;]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ');
  return cert.subject.split('\n').filter((l) => l !== '').map((rdn) => {
    const eq = rdn.indexOf('=');
    return `${rdn.slice(0, eq)}=${escape(rdn.slice(eq + 1))}`;
  }).reverse().join(',');
}

/**
 * FileChangeWatcher: watches the stores' directories and calls `reload` once a store file changes
 * (writes are coalesced). Returns a function that stops watching.
 */
export function watchStores(ssl: SslSettings, reload: () => void): () => void {
  const files = [ssl.keyStore.location, ssl.trustStore.location].filter((f): f is string => f !== null).map((f) => path.resolve(f));
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | null = null;
  for (const dir of new Set(files.map((f) => path.dirname(f)))) {
    const w = watch(dir, (_event, name) => {
      if (name !== null && !files.includes(path.join(dir, name.toString()))) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => { timer = null; reload(); }, 100);
    });
    w.on('error', () => undefined);
    watchers.push(w);
  }
  return () => {
    if (timer !== null) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
