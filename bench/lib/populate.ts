// Builds a large flat tree fast through the wire protocol: multi requests of many creates each,
// several outstanding per session, so a million nodes take a thousand txns instead of a million.

import { performance } from 'node:perf_hooks';
import { JuteReader } from '../../src/jute/reader.js';
import { readMultiResults, writeMultiOps, type ACL, type MultiOp } from '../../src/jute/records.js';
import { CreateFlag, OpCode, Perm } from '../../src/protocol/constants.js';
import { BenchSession, encodeFrame, ensureNode } from './wire.js';

const OPEN_ACL_UNSAFE: ACL[] = [{ perms: Perm.ALL, id: { scheme: 'world', id: 'anyone' } }];
const SESSION_TIMEOUT_MS = 30_000;

export interface PopulateOptions {
  /** Nodes to create under `parent`. */
  nodes: number;
  /** Made first with its ancestors (e.g. /bench/snap); the nodes are its children n0000000, n0000001, … */
  parent: string;
  payloadBytes: number;
  /** Creates per multi request (~1000 keeps a request near 150 KB, far below jute.maxbuffer). */
  createsPerMulti: number;
  sessions: number;
  /** Multi requests each session keeps outstanding. */
  window: number;
}

export interface PopulateResult {
  nodes: number;
  multis: number;
  /** From the first multi sent to the last one answered. */
  ms: number;
  nodesPerSecond: number;
}

/** The name of child `i` of the populated parent: n + at least 7 digits, so names sort by index. */
export function populatedNodeName(i: number): string {
  return `n${String(i).padStart(7, '0')}`;
}

function multiFrame(parent: string, first: number, count: number, payload: Buffer): Buffer {
  const ops: MultiOp[] = [];
  for (let i = first; i < first + count; i++) {
    ops.push({ type: OpCode.create as 1, req: { path: `${parent}/${populatedNodeName(i)}`, data: payload, acl: OPEN_ACL_UNSAFE, flags: CreateFlag.PERSISTENT, ttl: -1 } });
  }
  return encodeFrame(OpCode.multi, (w) => writeMultiOps(w, ops));
}

/** Throws unless every op of a multi reply succeeded. */
function checkMultiReply(err: number, body: Buffer, what: string): void {
  if (err !== 0) throw new Error(`${what}: error ${err}`);
  const results = readMultiResults(new JuteReader(body, 0, body.length));
  const failed = results.find((r) => r.type === -1 && r.err !== 0);
  if (failed !== undefined && failed.type === -1) throw new Error(`${what}: an op failed with error ${failed.err}`);
}

/** Creates `opts.nodes` children of `opts.parent` on the server at host:port. */
export async function populateTree(host: string, port: number, opts: PopulateOptions): Promise<PopulateResult> {
  const payload = Buffer.alloc(opts.payloadBytes, 0x62);
  const sessions: BenchSession[] = [];
  try {
    for (let i = 0; i < opts.sessions; i++) sessions.push(await BenchSession.connect(host, port, SESSION_TIMEOUT_MS));
    const parts = opts.parent.split('/').filter((p) => p.length > 0);
    for (let i = 1; i <= parts.length; i++) await ensureNode(sessions[0], `/${parts.slice(0, i).join('/')}`, null);

    const multis = Math.ceil(opts.nodes / opts.createsPerMulti);
    let next = 0;
    // One lane per outstanding request: each sends its next multi when its last one is answered.
    const lane = async (session: BenchSession): Promise<void> => {
      for (;;) {
        const m = next++;
        if (m >= multis) return;
        const first = m * opts.createsPerMulti;
        const count = Math.min(opts.createsPerMulti, opts.nodes - first);
        const reply = await session.request(multiFrame(opts.parent, first, count, payload));
        checkMultiReply(reply.err, reply.body, `multi of creates ${first}..${first + count - 1}`);
      }
    };
    const started = performance.now();
    await Promise.all(sessions.flatMap((s) => Array.from({ length: opts.window }, () => lane(s))));
    const ms = performance.now() - started;
    return { nodes: opts.nodes, multis, ms, nodesPerSecond: opts.nodes / (ms / 1000) };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}
