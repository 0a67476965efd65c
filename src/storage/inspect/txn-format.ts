// Txn entries as text the way Apache ZooKeeper's TxnLogToolkit prints them (`zkTxnLogToolkit.sh -d`),
// and as JSON. Facts taken from ZooKeeper 3.8 (TxnLogToolkit.printTxn / getFormattedTxnStr, jute's
// ToStringOutputArchive, Request.op2String):
//   <date> session 0x<clientId> cxid 0x<cxid> zxid 0x<zxid> <op name> <txn>
// date: Java's DateFormat SHORT date + LONG time in en_US ("11/22/26, 4:19:35 PM UTC"; printed in UTC
// here). <txn> for create/setData/createContainer/createTTL is hand-formatted: fields joined by
// ",", data as UTF-8 text, the ACL list as java.util.List.toString of jute records (each record's
// toString ends with "\n", so "[31,s{'world,'anyone}\n]"). Every other txn is its jute toString:
// strings prefixed "'" with , } % \0 \n \r percent-escaped, records "s{…}", vectors "v{…}", a newline
// at the end. multi is printed as ZooKeeper 3.9 does, sub-txns decoded ("check:/a,3;create:…"): 3.8
// printed their raw bytes.

import type { ACL, Txn, TxnDigest, TxnHeader } from '../../jute/records.js';
import type { DecodedTxnEntry } from '../txn-entry.js';

/** Request.op2String (createTTL is "createTtl" there). */
export function zkOpName(op: number): string {
  switch (op) {
    case 0: return 'notification';
    case 1: return 'create';
    case 2: return 'delete';
    case 3: return 'exists';
    case 4: return 'getData';
    case 5: return 'setData';
    case 6: return 'getACL';
    case 7: return 'setACL';
    case 8: return 'getChildren';
    case 9: return 'sync';
    case 11: return 'ping';
    case 12: return 'getChildren2';
    case 13: return 'check';
    case 14: return 'multi';
    case 15: return 'create2';
    case 16: return 'reconfig';
    case 17: return 'checkWatches';
    case 18: return 'removeWatches';
    case 19: return 'createContainer';
    case 20: return 'deleteContainer';
    case 21: return 'createTtl';
    case 22: return 'multiRead';
    case 100: return 'auth';
    case 101: return 'setWatches';
    case 102: return 'sasl';
    case 103: return 'getEphemerals';
    case 104: return 'getAllChildrenNumber';
    case 105: return 'setWatches2';
    case 106: return 'addWatch';
    case 107: return 'whoAmI';
    case -10: return 'createSession';
    case -11: return 'closeSession';
    case -1: return 'error';
    default: return `unknown ${op}`;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** DateFormat.getDateTimeInstance(SHORT, LONG) in en_US, UTC: "11/22/26, 4:19:35 PM UTC". */
export function formatToolkitTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return `time ${ms}`;
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${pad2(d.getUTCFullYear() % 100)}, `
    + `${h12}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'} UTC`;
}

/** java.util.Date.toString in UTC: "Sun Nov 22 16:19:35 UTC 2026". */
export function formatJavaDate(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return `time ${ms}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())} `
    + `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** Long.toHexString: two's complement for negative values. */
export function javaHex(n: number | bigint): string {
  return BigInt.asUintN(64, BigInt(n)).toString(16);
}

/** Integer.toHexString. */
function javaIntHex(n: number): string {
  return (n >>> 0).toString(16);
}

// ---------------------------------------------------------------- jute ToStringOutputArchive

function escapeString(s: string): string {
  let out = "'";
  for (const c of s) {
    switch (c) {
      case '\0': out += '%00'; break;
      case '\n': out += '%0A'; break;
      case '\r': out += '%0D'; break;
      case ',': out += '%2C'; break;
      case '}': out += '%7D'; break;
      case '%': out += '%25'; break;
      default: out += c;
    }
  }
  return out;
}

/** A record's fields as ToStringOutputArchive writes them nested ("s{…}") or at the top ("…\n"). */
function idFields(acl: ACL): string {
  return `s{${escapeString(acl.id.scheme)},${escapeString(acl.id.id)}}`;
}

/** ACL.toString(): "31,s{'world,'anyone}\n". */
function aclToString(acl: ACL): string {
  return `${acl.perms},${idFields(acl)}\n`;
}

/** An ACL as an element of a vector: "s{31,s{'world,'anyone}}". */
function aclNested(acl: ACL): string {
  return `s{${acl.perms},${idFields(acl)}}`;
}

/** java.util.List<ACL>.toString(). */
function aclList(acls: readonly ACL[]): string {
  return `[${acls.map(aclToString).join(', ')}]`;
}

function utf8(data: Buffer | null): string {
  return data === null || data.length === 0 ? '' : data.toString('utf8');
}

/** TxnLogToolkit.getFormattedTxnStr for one txn (a sub-txn of a multi when nested). */
export function formatTxnBody(txn: Txn | null): string {
  if (txn === null) return '';
  switch (txn.type) {
    case 1: case 15:
      return `${txn.path},${utf8(txn.data)},${aclList(txn.acl)},${txn.ephemeral},${txn.parentCVersion}`;
    case 5:
      return `${txn.path},${utf8(txn.data)},${txn.version}`;
    case 19:
      return `${txn.path},${utf8(txn.data)},${aclList(txn.acl)},${txn.parentCVersion}`;
    case 21:
      return `${txn.path},${utf8(txn.data)},${aclList(txn.acl)},${txn.parentCVersion},${txn.ttl}`;
    case 14:
      return txn.txns.map((sub) => `${zkOpName(sub.type)}:${multiSubBody(sub)}`).join(';');
    // The rest: jute's toString of the record.
    case 2: case 20:
      return `${escapeString(txn.path)}\n`;
    case 7:
      return `${escapeString(txn.path)},v{${txn.acl.map(aclNested).join(',')}},${txn.version}\n`;
    case 13:
      return `${escapeString(txn.path)},${txn.version}\n`;
    case -10:
      return `${txn.timeOut}\n`;
    case -11:
      return txn.paths2Delete === null ? '' : `v{${txn.paths2Delete.map(escapeString).join(',')}}\n`;
    case -1:
      return `${txn.err}\n`;
  }
}

/** Inside a multi (ZooKeeper 3.9): delete and check as "path" and "path,version", error as its code. */
function multiSubBody(sub: Txn): string {
  switch (sub.type) {
    case 2: case 20: return sub.path;
    case 13: return `${sub.path},${sub.version}`;
    case -1: return String(sub.err);
    default: return formatTxnBody(sub);
  }
}

/** One entry as TxnLogToolkit prints it, newline included (the txn text may span lines). */
export function formatTxnLine(entry: DecodedTxnEntry): string {
  const h = entry.header;
  const line = `${formatToolkitTime(h.time)} session 0x${javaHex(h.clientId)} cxid 0x${javaIntHex(h.cxid)} `
    + `zxid 0x${javaHex(h.zxid)} ${zkOpName(h.type)} ${formatTxnBody(bodyOf(entry))}`;
  return line.endsWith('\n') ? line : `${line}\n`;
}

/** closeSession with no CloseSessionTxn reads back as an empty path list; ZooKeeper prints nothing then. */
function bodyOf(entry: DecodedTxnEntry): Txn | null {
  const t = entry.txn;
  if (t.type === -11 && t.paths2Delete === null) return null;
  return t;
}

// ---------------------------------------------------------------- JSON

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

function aclJson(acls: readonly ACL[]): JsonValue {
  return acls.map((a) => ({ perms: a.perms, scheme: a.id.scheme, id: a.id.id }));
}

function dataJson(data: Buffer | null): JsonValue {
  return data === null ? null : data.toString('base64');
}

export function txnJson(txn: Txn): { [key: string]: JsonValue } {
  const op = zkOpName(txn.type);
  switch (txn.type) {
    case 1: case 15:
      return { op, path: txn.path, data: dataJson(txn.data), acl: aclJson(txn.acl), ephemeral: txn.ephemeral, parentCVersion: txn.parentCVersion };
    case 19:
      return { op, path: txn.path, data: dataJson(txn.data), acl: aclJson(txn.acl), parentCVersion: txn.parentCVersion };
    case 21:
      return { op, path: txn.path, data: dataJson(txn.data), acl: aclJson(txn.acl), parentCVersion: txn.parentCVersion, ttl: txn.ttl };
    case 2: case 20:
      return { op, path: txn.path };
    case 5:
      return { op, path: txn.path, data: dataJson(txn.data), version: txn.version };
    case 7:
      return { op, path: txn.path, acl: aclJson(txn.acl), version: txn.version };
    case 13:
      return { op, path: txn.path, version: txn.version };
    case -10:
      return { op, timeoutMs: txn.timeOut };
    case -11:
      return { op, paths2Delete: txn.paths2Delete };
    case -1:
      return { op, err: txn.err };
    case 14:
      return { op, txns: txn.txns.map(txnJson) };
  }
}

export function headerJson(h: TxnHeader): { [key: string]: JsonValue } {
  return {
    zxid: `0x${javaHex(h.zxid)}`,
    session: `0x${javaHex(h.clientId)}`,
    cxid: h.cxid,
    time: new Date(h.time).toISOString(),
    timeMs: h.time,
    type: zkOpName(h.type),
  };
}

export function digestJson(d: TxnDigest | null): JsonValue {
  return d === null ? null : { version: d.version, treeDigest: `0x${javaHex(d.treeDigest)}` };
}

/** One txn entry as a JSON object (zxids and session ids as hex strings: they exceed 2^53 in general). */
export function entryJson(entry: DecodedTxnEntry): { [key: string]: JsonValue } {
  return { ...headerJson(entry.header), txn: txnJson(entry.txn), digest: digestJson(entry.digest) };
}
