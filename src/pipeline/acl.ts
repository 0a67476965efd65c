// ACL checks and the built-in auth providers (world, auth, digest, ip, super), with ZooKeeper's rules:
// who may do what to a znode, and how the ACL list of a create/setACL is validated and expanded.

import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { ACL, Id } from '../jute/records.js';
import { ErrorCode } from '../protocol/constants.js';
import { KeeperError } from './errors.js';

/** The digest id for "user:password", as ZooKeeper's DigestAuthenticationProvider generates it. */
export function generateDigest(idPassword: string): string {
  const user = idPassword.split(':', 1)[0];
  const hash = createHash('sha1').update(idPassword, 'utf8').digest('base64');
  return `${user}:${hash}`;
}

interface AuthProvider {
  /** Whether ids of this scheme prove who the client is (only those expand the "auth" scheme). */
  readonly authenticated: boolean;
  isValid(id: string): boolean;
  matches(clientId: string, aclId: string): boolean;
  userName(id: string): string;
}

const digestProvider: AuthProvider = {
  authenticated: true,
  // ZooKeeper splits on every ':' and wants exactly two parts.
  isValid: (id) => id.split(':').length === 2 && !id.endsWith(':'),
  matches: (clientId, aclId) => clientId === aclId,
  userName: (id) => id.split(':', 1)[0],
};

const ipProvider: AuthProvider = {
  authenticated: false,
  isValid: (id) => parseIpMask(id) !== null,
  matches: (clientId, aclId) => ipMatches(clientId, aclId),
  userName: (id) => id,
};

/** X500Principal's check: a distinguished name, i.e. attribute=value parts. */
const isDistinguishedName = (id: string): boolean =>
  id.trim() !== '' && id.split(/(?<!\\),/).every((rdn) => /^\s*[A-Za-z0-9.]+\s*=/.test(rdn));

/** X509AuthenticationProvider: the certificate subject; the configured super user matches every ACL. */
function x509Provider(superUser: string | null): AuthProvider {
  return {
    authenticated: true,
    isValid: isDistinguishedName,
    matches: (clientId, aclId) => clientId === aclId || (superUser !== null && clientId === superUser),
    userName: (id) => id,
  };
}

/** The class names ZooKeeper users load with authProvider.N, by the scheme each provides. */
export const AUTH_PROVIDER_CLASSES: ReadonlyMap<string, string> = new Map([
  ['org.apache.zookeeper.server.auth.DigestAuthenticationProvider', 'digest'],
  ['org.apache.zookeeper.server.auth.IPAuthenticationProvider', 'ip'],
  ['org.apache.zookeeper.server.auth.X509AuthenticationProvider', 'x509'],
  ['org.apache.zookeeper.server.auth.SASLAuthenticationProvider', 'sasl'],
]);

/**
 * SASLAuthenticationProvider: ids come only from the SASL exchange; a user literally named "super"
 * matches every sasl ACL (as in ZooKeeper), and so does anyone when the ACL id is letAnySaslUserDoX.
 * Valid ids are Kerberos-name shaped when they hold an '@'.
 */
function saslProvider(letAnySaslUserDoX: string | null): AuthProvider {
  return {
    authenticated: true,
    isValid: (id) => !id.includes('@') || /^[^/@]*(\/[^/@]*)?@[^/@]*$/.test(id),
    matches: (clientId, aclId) => clientId === 'super' || clientId === aclId || (letAnySaslUserDoX !== null && aclId === letAnySaslUserDoX),
    userName: (id) => id,
  };
}

const providers = new Map<string, AuthProvider>([
  ['digest', digestProvider],
  ['ip', ipProvider],
]);

export interface AuthProviderSettings {
  /** Schemes loaded by authProvider.N beyond ip and digest (ProviderRegistry.initialize). */
  schemes: readonly string[];
  x509SuperUser: string | null;
  letAnySaslUserDoX?: string | null;
}

/**
 * The providers of this process, as ZooKeeper's ProviderRegistry holds them: ip and digest always,
 * others only when authProvider.N loads them (an ACL of another scheme is InvalidACL).
 */
export function configureAuthProviders(settings: AuthProviderSettings): void {
  providers.clear();
  providers.set('digest', digestProvider);
  providers.set('ip', ipProvider);
  if (settings.schemes.includes('x509')) providers.set('x509', x509Provider(settings.x509SuperUser));
  if (settings.schemes.includes('sasl')) providers.set('sasl', saslProvider(settings.letAnySaslUserDoX ?? null));
}

export function isKnownScheme(scheme: string): boolean {
  return providers.has(scheme);
}

/** The client-visible user of an auth id (whoAmI): "" where no provider names one. */
export function userNameOf(id: Id): string {
  return providers.get(id.scheme)?.userName(id.id) ?? '';
}

function ipToBytes(addr: string): number[] | null {
  let a = addr;
  if (a.startsWith('::ffff:') && isIPv4(a.slice(7))) a = a.slice(7);
  if (isIPv4(a)) return a.split('.').map(Number);
  if (!isIPv6(a)) return null;
  const [head, tail] = a.includes('::') ? a.split('::') : [a, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return null;
  const out: number[] = [];
  for (const g of groups) {
    const v = parseInt(g, 16);
    out.push((v >> 8) & 0xff, v & 0xff);
  }
  return out;
}

function parseIpMask(expr: string): { bytes: number[]; bits: number } | null {
  const slash = expr.indexOf('/');
  const addr = slash === -1 ? expr : expr.slice(0, slash);
  const bytes = ipToBytes(addr);
  if (!bytes) return null;
  let bits = bytes.length * 8;
  if (slash !== -1) {
    const s = expr.slice(slash + 1);
    if (!/^\d+$/.test(s)) return null;
    bits = Number(s);
    if (bits > bytes.length * 8) return null;
  }
  return { bytes, bits };
}

function maskBytes(b: number[], bits: number): number[] {
  return b.map((v, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return v & ((0xff << (8 - keep)) & 0xff);
  });
}

function ipMatches(clientAddr: string, aclExpr: string): boolean {
  const acl = parseIpMask(aclExpr);
  const client = ipToBytes(clientAddr);
  if (!acl || !client || client.length !== acl.bytes.length) return false;
  const a = maskBytes(acl.bytes, acl.bits);
  const c = maskBytes(client, acl.bits);
  return a.every((v, i) => v === c[i]);
}

/**
 * Throws NoAuth unless one of the ACL entries granting `perm` matches one of the client's ids.
 * An empty ACL allows everything; a "super" id allows everything (ZooKeeper's checkACL).
 */
export function checkACL(acl: readonly ACL[] | null, perm: number, authInfo: readonly Id[]): void {
  if (!hasPermission(acl, perm, authInfo)) throw new KeeperError(ErrorCode.NOAUTH);
}

export function hasPermission(acl: readonly ACL[] | null, perm: number, authInfo: readonly Id[]): boolean {
  if (!acl || acl.length === 0) return true;
  for (const a of authInfo) if (a.scheme === 'super') return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') return true;
    const provider = providers.get(scheme);
    if (!provider) continue;
    for (const a of authInfo) {
      if (a.scheme === scheme && provider.matches(a.id, id)) return true;
    }
  }
  return false;
}

const sameACL = (a: ACL, b: ACL): boolean => a.perms === b.perms && a.id.scheme === b.id.scheme && a.id.id === b.id.id;

/**
 * Validates the ACL list of a create or setACL and expands the "auth" scheme into the client's
 * authenticated ids, exactly as ZooKeeper's fixupACL: duplicates dropped, empty list or unknown
 * scheme or malformed id is InvalidACL.
 */
export function fixupACL(acls: readonly ACL[] | null, authInfo: readonly Id[]): ACL[] {
  const unique: ACL[] = [];
  for (const a of acls ?? []) if (!unique.some((u) => sameACL(u, a))) unique.push(a);
  if (unique.length === 0) throw new KeeperError(ErrorCode.INVALIDACL);
  const out: ACL[] = [];
  for (const a of unique) {
    const { scheme, id } = a.id;
    if (scheme === 'world' && id === 'anyone') {
      out.push(a);
    } else if (scheme === 'auth') {
      let any = false;
      for (const cid of authInfo) {
        if (providers.get(cid.scheme)?.authenticated) {
          any = true;
          out.push({ perms: a.perms, id: { scheme: cid.scheme, id: cid.id } });
        }
      }
      if (!any) throw new KeeperError(ErrorCode.INVALIDACL);
    } else {
      const provider = providers.get(scheme);
      if (!provider || !provider.isValid(id)) throw new KeeperError(ErrorCode.INVALIDACL);
      out.push(a);
    }
  }
  return out;
}

/** getACL without ADMIN: digest hashes are masked as "user:x" (ZooKeeper 3.8+). */
export function maskDigests(acl: readonly ACL[]): ACL[] {
  return acl.map((a) =>
    a.id.scheme === 'digest' ? { perms: a.perms, id: { scheme: 'digest', id: a.id.id.replace(/:.*/s, ':x') } } : a,
  );
}
