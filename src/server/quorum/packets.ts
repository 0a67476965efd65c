// The payloads of the learner protocol's packets, as ZooKeeper 3.8's Learner and LearnerHandler write
// them (QUORUM-PROTOCOL.md §3.3-3.8), and the conversion of a PROPOSAL's txn into a pipeline Proposal.

import { JuteReader } from '../../jute/reader.js';
import { JuteWriter } from '../../jute/writer.js';
import type { Id } from '../../jute/records.js';
import { PacketType, type QuorumPacket } from '../../jute/quorum.js';
import type { Proposal, PipelineRequest } from '../../pipeline/pipeline.js';
import { decodeTxnEntry } from '../../storage/txn-entry.js';

export const packet = (type: PacketType, zxid: number, data: Buffer | null = null, authinfo: Id[] | null = null): QuorumPacket =>
  ({ type, zxid, data, authinfo });

export function intData(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

/** REQUEST: sessionId, cxid, type, then the client's request record (Learner.request). */
export function encodeRequest(req: PipelineRequest): QuorumPacket {
  const w = new JuteWriter(16 + req.body.length);
  w.writeLong(req.sessionId).writeInt(req.xid).writeInt(req.type).writeRaw(req.body);
  return packet(PacketType.REQUEST, -1, w.toBuffer(), [...req.authInfo]);
}

export interface ForwardedRequest {
  sessionId: bigint;
  cxid: number;
  type: number;
  body: Buffer;
}

export function decodeRequest(data: Buffer): ForwardedRequest {
  const r = new JuteReader(data);
  const sessionId = r.readLong();
  const cxid = r.readInt();
  const type = r.readInt();
  return { sessionId, cxid, type, body: Buffer.from(r.rest()) };
}

/** A learner's PING answer: (sessionId, timeout) of every session it holds (Learner.ping). */
export function encodeTouches(touches: Iterable<readonly [bigint, number]>): Buffer {
  const w = new JuteWriter(256);
  for (const [sessionId, timeout] of touches) w.writeLong(sessionId).writeInt(timeout);
  return w.toBuffer();
}

export function decodeTouches(data: Buffer | null): Array<[bigint, number]> {
  const out: Array<[bigint, number]> = [];
  if (data === null) return out;
  const r = new JuteReader(data);
  while (r.remaining >= 12) out.push([r.readLong(), r.readInt()]);
  return out;
}

/** A PROPOSAL or INFORM payload (TxnHeader, txn, optional digest) as a proposal the pipeline applies. */
export function proposalOf(zxid: number, payload: Buffer): Proposal {
  const d = decodeTxnEntry({ zxid, payload }, `proposal 0x${zxid.toString(16)}`);
  if (d.header.zxid !== zxid) throw new Error(`proposal 0x${zxid.toString(16)} carries a txn of zxid 0x${d.header.zxid.toString(16)}`);
  return { zxid, prepared: { hdr: d.header, txn: d.txn, digest: d.digest, error: 0 }, request: null };
}
