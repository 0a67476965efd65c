// SASL at start-up, as ZooKeeper's ServerCnxnFactory.configureSaslLogin and AuthenticationHelper
// set it up: the JAAS file's server section gives DIGEST-MD5's users (DigestLoginModule's
// user_NAME="password" options); the enforcement settings say which schemes every request needs.
// Kerberos (GSSAPI) is refused: there is no KDC to log in to.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SaslSettings } from '../../config/types.js';
import { KeyedConfigError } from '../keyed-error.js';
import { JaasSyntaxError, parseJaas } from './jaas.js';

const DIGEST_LOGIN_MODULE = 'org.apache.zookeeper.server.auth.DigestLoginModule';
const KERBEROS_LOGIN_MODULE = 'com.sun.security.auth.module.Krb5LoginModule';

export interface SaslRuntime {
  /** DIGEST-MD5's users (user → password); null when no JAAS server section configures SASL. */
  passwords: ReadonlyMap<string, string> | null;
  /** SASL ids that are also super (zookeeper.superUser[.X]). */
  superUsers: ReadonlySet<string>;
  /** Schemes every request but auth and sasl needs (AuthenticationHelper); null when not enforced. */
  enforcedSchemes: readonly string[] | null;
  /** SASL is among them: a failed exchange answers SESSIONCLOSEDREQUIRESASLAUTH. */
  saslRequired: boolean;
  allowSaslFailedClients: boolean;
}

/** Reads the JAAS file and checks the enforcement settings; errors name the key to fix. */
export function loadSasl(sasl: SaslSettings, schemes: readonly string[], cwd = process.cwd()): SaslRuntime {
  let enforced: string[] | null = null;
  if (sasl.sessionRequireClientSASLAuth) enforced = ['sasl'];
  else if (sasl.enforceAuthEnabled) {
    if (sasl.enforceAuthSchemes.length === 0) {
      throw new KeyedConfigError('enforce.auth.schemes', 'enforce.auth.enabled is true, so the schemes it requires must be listed');
    }
    enforced = sasl.enforceAuthSchemes;
  }
  const available = new Set(['ip', 'digest', ...schemes]);
  for (const s of enforced ?? []) {
    if (!available.has(s)) {
      const key = sasl.sessionRequireClientSASLAuth ? 'sessionRequireClientSASLAuth' : 'enforce.auth.schemes';
      const load = s === 'sasl' ? ' (load it with authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider)' : '';
      throw new KeyedConfigError(key, `authentication scheme ${s} is not available${load}`);
    }
  }
  return {
    passwords: sasl.jaasFile === null ? null : readUsers(sasl, path.resolve(cwd, sasl.jaasFile)),
    superUsers: new Set(sasl.superUsers.values()),
    enforcedSchemes: enforced,
    saslRequired: enforced?.includes('sasl') ?? false,
    allowSaslFailedClients: sasl.allowSaslFailedClients,
  };
}

function readUsers(sasl: SaslSettings, file: string): Map<string, string> | null {
  const key = 'java.security.auth.login.config';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new KeyedConfigError(key, `cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  let sections;
  try {
    sections = parseJaas(text);
  } catch (err) {
    if (err instanceof JaasSyntaxError) throw new KeyedConfigError(key, `${file}: ${err.message}`);
    throw err;
  }
  const entries = sections.get(sasl.section);
  // A file without the section (or with an empty one) leaves SASL off, as in ZooKeeper.
  if (entries === undefined || entries.length === 0) return null;
  const users = new Map<string, string>();
  for (const e of entries) {
    if (e.module === KERBEROS_LOGIN_MODULE || e.options.has('keyTab') || e.options.has('principal')) {
      throw new KeyedConfigError(key, `${file}: section ${sasl.section} logs in with Kerberos (${e.module}): GSSAPI is not supported by zk-server (no KDC); use ${DIGEST_LOGIN_MODULE}`);
    }
    if (e.module !== DIGEST_LOGIN_MODULE) {
      throw new KeyedConfigError(key, `${file}: section ${sasl.section}: no LoginModule ${e.module} in zk-server; use ${DIGEST_LOGIN_MODULE}`);
    }
    for (const [k, v] of e.options) if (k.startsWith('user_')) users.set(k.slice(5), v);
  }
  if (sasl.superPassword !== null) users.set('super', sasl.superPassword);
  return users;
}
