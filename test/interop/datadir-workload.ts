// The writes of the data-directory round trips, run the same way against zk-server or Apache ZooKeeper:
// every node type, every ACL scheme, null/empty/binary/large data, multis (one failing), failed writes,
// deletes, setACL, and sessions that close or are left open holding ephemerals.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ACL, MultiOp } from '../../src/jute/records.js';
import { CreateFlag, ErrorCode, OpCode, Perm } from '../../src/protocol/constants.js';
import { OPEN_ACL_UNSAFE, RawClient, RawZkError } from '../helpers/raw-client.js';

/** Users of the digest ACLs; the dump authenticates as all of them so their ACLs print unmasked. */
const USERS = { alice: 'secret', bob: 'hunter2', carol: 'pw' } as const;
export const DUMP_AUTHS: readonly string[] = Object.entries(USERS).map(([u, p]) => `digest:${u}:${p}`);

/** Requested session timeout; the configs below let the servers grant it. */
export const SESSION_TIMEOUT_MS = 60_000;

/**
 * zoo.cfg keys both servers get in these tests: small snapCount and preallocation so a few hundred
 * txns make several snapshots and log files, TTL nodes on, and sessions long enough to outlive a hop.
 */
export const DATADIR_CONFIG: Readonly<Record<string, string>> = {
  snapCount: '50',
  preAllocSize: '64',
  extendedTypesEnabled: 'true',
  maxSessionTimeout: String(SESSION_TIMEOUT_MS),
  forceSync: 'yes',
  'admin.enableServer': 'false',
};

/** The large value: over the 64 KiB preallocation step, under jute.maxbuffer. */
const LARGE_BYTES = 500_000;
const BULK_CHILDREN = 120;

function digestId(user: keyof typeof USERS): string {
  const pair = `${user}:${USERS[user]}`;
  return `${user}:${createHash('sha1').update(pair).digest('base64')}`;
}

const acl = (perms: number, scheme: string, id: string): ACL => ({ perms, id: { scheme, id } });

const PIPELINED_GROUP = 8;

/** Runs write(0..count-1), PIPELINED_GROUP requests in flight at a time. */
async function inGroups(count: number, write: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += PIPELINED_GROUP) {
    await Promise.all(Array.from({ length: Math.min(PIPELINED_GROUP, count - start) }, (_, k) => write(start + k)));
  }
}

/**
 * The result types a multi op may answer with. Container and TTL creates answer as create2 (path and
 * stat), as ZooKeeper's CreateResult does; a create2 answers as a plain create in 3.8 and as create2
 * since 3.9 (ZOOKEEPER-4026).
 */
function multiResultTypes(opType: number): number[] {
  if (opType === OpCode.createContainer || opType === OpCode.createTTL) return [OpCode.create2];
  if (opType === OpCode.create2) return [OpCode.create, OpCode.create2];
  return [opType];
}

/** A session kept open across a server stop; its ephemerals must survive into the next server. */
export interface OpenSession {
  client: RawClient;
  sessionId: bigint;
  passwd: Buffer;
}

async function connect(port: number, resume?: { sessionId: bigint; passwd: Buffer }): Promise<OpenSession> {
  const client = await RawClient.connect(port, { timeOut: SESSION_TIMEOUT_MS, sessionId: resume?.sessionId, passwd: resume?.passwd });
  const resp = client.connectResponse!;
  // A refused resume answers with timeout 0 (and the server then closes the connection).
  assert.ok(resp.timeOut > 0, `server refused session 0x${(resume?.sessionId ?? 0n).toString(16)}`);
  if (resume !== undefined) assert.equal(resp.sessionId, resume.sessionId);
  return { client, sessionId: resp.sessionId, passwd: resp.passwd };
}

async function expectError(code: number, write: () => Promise<unknown>): Promise<void> {
  await assert.rejects(write, (err: unknown) => err instanceof RawZkError && err.code === code);
}

/**
 * Writes the /dd tree. Returns the owner session, still open with its ephemerals (/dd/eph,
 * /dd/eph-seq-…); the caller stops the server with it open, then destroys the client.
 */
export async function writeTree(port: number): Promise<OpenSession> {
  const owner = await connect(port);
  const o = owner.client;
  assert.equal((await o.addAuth('digest', Buffer.from(`carol:${USERS.carol}`))).err, 0);

  await o.create('/dd', Buffer.from('datadir round trip'));
  await o.create('/dd/persistent', Buffer.from('v0'));
  await o.setData('/dd/persistent', Buffer.from('v1'));
  await o.setData('/dd/persistent', Buffer.from('v2'), 1);
  for (let i = 0; i < 3; i++) await o.create('/dd/seq-', Buffer.from(`s${i}`), { flags: CreateFlag.PERSISTENT_SEQUENTIAL });
  await o.delete('/dd/seq-0000000002');
  await o.create('/dd/eph', Buffer.from('owned'), { flags: CreateFlag.EPHEMERAL });
  for (let i = 0; i < 2; i++) await o.create('/dd/eph-seq-', null, { flags: CreateFlag.EPHEMERAL_SEQUENTIAL });
  await o.createContainer('/dd/container', Buffer.from('c'));
  await o.create('/dd/container/child');
  await o.createTTL('/dd/ttl', Buffer.from('t'), 3_600_000);
  await o.createTTL('/dd/ttl-seq-', null, 7_200_000, { flags: CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL });
  await o.create('/dd/binary', Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  await o.create('/dd/null', null);
  await o.create('/dd/empty', Buffer.alloc(0));
  await o.create('/dd/unicode-ノード', Buffer.from('ünïcødé ✓'));
  const large = Buffer.alloc(LARGE_BYTES);
  for (let i = 0; i < large.length; i++) large[i] = (i * 31 + (i >> 9)) & 0xff;
  await o.create('/dd/large', large);
  large.fill(0x5a, 0, 1000);
  await o.setData('/dd/large', large);

  await o.create('/dd/acl');
  await o.create('/dd/acl/world-read', Buffer.from('r'), { acl: [acl(Perm.READ, 'world', 'anyone')] });
  await o.create('/dd/acl/digest', Buffer.from('d'), {
    acl: [acl(Perm.ALL, 'digest', digestId('alice')), acl(Perm.READ, 'digest', digestId('bob'))],
  });
  await o.create('/dd/acl/ip', Buffer.from('i'), {
    acl: [acl(Perm.ALL, 'ip', '127.0.0.1'), acl(Perm.READ, 'ip', '10.0.0.0/8')],
  });
  // "auth" stands for every authenticated id of the creating session: digest carol here.
  await o.create('/dd/acl/auth', Buffer.from('a'), { acl: [acl(Perm.ALL, 'auth', '')] });
  await o.create('/dd/acl/mixed', null, {
    acl: [acl(Perm.READ, 'world', 'anyone'), acl(Perm.ALL, 'digest', digestId('alice')), acl(Perm.READ | Perm.WRITE, 'ip', '127.0.0.1')],
  });
  await o.create('/dd/acl/setacl', Buffer.from('s'));
  await o.setACL('/dd/acl/setacl', [acl(Perm.READ | Perm.ADMIN, 'world', 'anyone'), acl(Perm.ALL, 'digest', digestId('bob'))], 0);
  await o.setACL('/dd/acl/setacl', [acl(Perm.READ | Perm.ADMIN, 'world', 'anyone'), acl(Perm.ALL, 'ip', '127.0.0.1')], 1);
  await o.setACL('/dd/persistent', [...OPEN_ACL_UNSAFE, acl(Perm.ADMIN, 'digest', digestId('alice'))]);

  // Another session: writes with alice's rights, holds an ephemeral, then closes (closeSession txn).
  const a = await connect(port);
  assert.equal((await a.client.addAuth('digest', Buffer.from(`alice:${USERS.alice}`))).err, 0);
  await a.client.create('/dd/acl/digest/by-alice', Buffer.from('x'), { acl: [acl(Perm.ALL, 'auth', '')] });
  await a.client.create('/dd/closed-eph', null, { flags: CreateFlag.EPHEMERAL });
  await a.client.close();

  const multiOps: MultiOp[] = [
    { type: OpCode.check, req: { path: '/dd/persistent', version: 2 } },
    { type: OpCode.create, req: { path: '/dd/multi', data: Buffer.from('m'), acl: OPEN_ACL_UNSAFE, flags: 0, ttl: -1 } },
    { type: OpCode.create, req: { path: '/dd/multi/a', data: null, acl: OPEN_ACL_UNSAFE, flags: 0, ttl: -1 } },
    // A create2 op, as the C client's zoo_create2_op_init sends: logged as a create so 3.8 replays it.
    { type: OpCode.create2, req: { path: '/dd/multi/b', data: null, acl: OPEN_ACL_UNSAFE, flags: 0, ttl: -1 } },
    { type: OpCode.createContainer, req: { path: '/dd/multi/box', data: null, acl: OPEN_ACL_UNSAFE, flags: CreateFlag.CONTAINER, ttl: -1 } },
    { type: OpCode.createTTL, req: { path: '/dd/multi/ttl', data: null, acl: OPEN_ACL_UNSAFE, flags: CreateFlag.PERSISTENT_WITH_TTL, ttl: 600_000 } },
    { type: OpCode.create, req: { path: '/dd/multi/box/in', data: null, acl: OPEN_ACL_UNSAFE, flags: 0, ttl: -1 } },
    { type: OpCode.delete, req: { path: '/dd/multi/b', version: 0 } },
    { type: OpCode.setData, req: { path: '/dd/multi', data: Buffer.from('m2'), version: 0 } },
  ];
  const multi = await o.multi(multiOps);
  assert.equal(multi.err, 0, `multi failed with ${multi.err}`);
  multi.results.forEach((r, i) => assert.ok(multiResultTypes(multiOps[i].type).includes(r.type), `multi result ${i}: ${r.type}`));
  // A failing multi is logged too, as a multi of error txns, and changes nothing.
  const failed = await o.multi([
    { type: OpCode.create, req: { path: '/dd/multi/never', data: null, acl: OPEN_ACL_UNSAFE, flags: 0, ttl: -1 } },
    { type: OpCode.create, req: { path: '/dd/persistent', data: null, acl: OPEN_ACL_UNSAFE, flags: 0, ttl: -1 } },
  ]);
  // The reply header says OK for a multi; the failure is in its results.
  assert.ok(failed.results.some((r) => r.type === -1 && r.err === ErrorCode.NODEEXISTS),
    `failing multi results: ${failed.results.map((r) => (r.type === -1 ? `err ${r.err}` : `type ${r.type}`)).join(', ')}`);
  // Failed single writes become error txns in the log.
  await expectError(ErrorCode.NODEEXISTS, () => o.create('/dd/persistent'));
  await expectError(ErrorCode.BADVERSION, () => o.setData('/dd/persistent', Buffer.from('x'), 7));
  await expectError(ErrorCode.NOTEMPTY, () => o.delete('/dd/multi'));

  await o.create('/dd/gone', Buffer.from('soon'));
  await o.delete('/dd/gone', 0);

  // Volume, for several snapshots and log files: pipelined so the server batches them, in small
  // groups because a server decides about snapshots once per batch.
  await o.create('/dd/bulk', Buffer.from('bulk'));
  const bulk = (i: number): string => `/dd/bulk/n-${String(i).padStart(3, '0')}`;
  await inGroups(BULK_CHILDREN, (i) => o.create(bulk(i), Buffer.from(`item ${i} `.repeat(1 + (i % 7)))));
  await inGroups(40, (i) => o.setData(bulk(i * 3), Buffer.from(`updated ${i}`)));
  await inGroups(20, (i) => o.delete(bulk(i * 5 + 1)));

  const closed = await connect(port);
  await closed.client.create('/dd/by-closed-session', Buffer.from('z'));
  await closed.client.close();
  return owner;
}

/**
 * Writes on a server that restored the tree: resumes the session left open by the previous server
 * (its password is derived from its id the same way everywhere) and closes it, which deletes its
 * ephemerals; changes and removes nodes; leaves a new session open with an ephemeral. Over 128 txns,
 * so the servers' digest history (one entry every 128 zxids) gains entries written here.
 */
export async function writeMore(port: number, tag: string, previous: OpenSession): Promise<OpenSession> {
  const resumed = await connect(port, previous);
  const ephemerals = await resumed.client.getEphemerals('/dd');
  assert.ok(ephemerals.length > 0, 'the resumed session still owns its ephemerals');
  await resumed.client.setData(ephemerals.sort()[0], Buffer.from(`seen on ${tag}`));
  await resumed.client.close();

  const owner = await connect(port);
  const o = owner.client;
  await o.create(`/dd/hop-${tag}`, Buffer.from(tag));
  await o.create(`/dd/hop-${tag}/eph`, null, { flags: CreateFlag.EPHEMERAL });
  await o.setData('/dd/persistent', Buffer.from(`v on ${tag}`));
  await o.setACL('/dd/acl/setacl', [acl(Perm.ALL, 'world', 'anyone')]);
  // Never empty, so no container reaper can take it in between.
  await o.create(`/dd/container/${tag}`, Buffer.from(tag));
  for (const child of await o.getChildren('/dd/container')) {
    if (child !== tag) await o.delete(`/dd/container/${child}`);
  }
  const multi = await o.multi([
    { type: OpCode.create, req: { path: `/dd/hop-${tag}/m-`, data: null, acl: OPEN_ACL_UNSAFE, flags: CreateFlag.PERSISTENT_SEQUENTIAL, ttl: -1 } },
    { type: OpCode.create, req: { path: `/dd/hop-${tag}/tmp`, data: null, acl: OPEN_ACL_UNSAFE, flags: 0, ttl: -1 } },
    { type: OpCode.delete, req: { path: `/dd/hop-${tag}/tmp`, version: -1 } },
    { type: OpCode.setData, req: { path: '/dd/multi', data: Buffer.from(tag), version: -1 } },
  ]);
  assert.equal(multi.err, 0);
  await inGroups(100, (i) => o.create(`/dd/hop-${tag}/n-${i}`, Buffer.from(`${tag} ${i}`)));
  // Never deleted by writeTree (it deletes n-001, n-006, …).
  await inGroups(24, (i) => o.setData(`/dd/bulk/n-${String(i * 5 + 2).padStart(3, '0')}`, Buffer.from(`${tag} ${i}`)));
  return owner;
}
