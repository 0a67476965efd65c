// One client process of the load generator: runs its share of the sessions, each keeping its window
// of requests outstanding, and reports latencies, errors and its own CPU for the measured window.
// Driven over IPC by bench/load.ts: setup → ready, start, measure, stop → result.

import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { CreateFlag } from '../src/protocol/constants.js';
import { LatencyHistogram } from './lib/histogram.js';
import { populatedNodeName } from './lib/populate.js';
import { SampleRecorder } from './lib/samples.js';
import {
  createParentPath, dataNodePath, isReadAt, WINDOW_MAX,
  type CoordinatorMessage, type WorkerMessage, type WorkerResult, type WorkerSetup,
} from './lib/load-protocol.js';
import { BenchSession, ensureNode, frames, type ReplySink, type RequestSource } from './lib/wire.js';

const SETUP_PARALLEL_SESSIONS = 32;
/**
 * How long replies to the last requests may take after the window: a few times the worst latency
 * seen in it, so a server that stalls connections costs seconds, not minutes, while a slow one that
 * still answers is waited for.
 */
function drainDeadlineMs(maxLatencyUs: number): number {
  return Math.min(10_000, 2_000 + (3 * maxLatencyUs) / 1000);
}

/** Resolves once the message is handed to the IPC channel, so a disconnect after it cannot lose it. */
function send(msg: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) { resolve(); return; }
    process.send(msg, undefined, undefined, () => resolve());
  });
}

/** Latencies and errors of this process; only recorded while `measuring`. */
class Recorder implements ReplySink {
  measuring = false;
  readonly writes = new LatencyHistogram();
  readonly reads = new LatencyHistogram();
  readonly errorsByCode: Record<string, number> = {};
  writeSamples: SampleRecorder | null = null;
  /**
   * Date.now() minus performance.now(), taken when measuring starts: send times become wall-clock
   * epoch ms, the clock server log lines are stamped with, and line up across client processes.
   */
  epochOffsetMs = 0;

  onReply(isRead: boolean, latencyUs: number, err: number, sentAtMs: number): void {
    if (!this.measuring) return;
    (isRead ? this.reads : this.writes).record(latencyUs);
    if (!isRead) this.writeSamples?.record(this.epochOffsetMs + sentAtMs, latencyUs);
    if (err !== 0) this.errorsByCode[err] = (this.errorsByCode[err] ?? 0) + 1;
  }

  reset(): void {
    this.writes.reset();
    this.reads.reset();
    this.writeSamples?.reset();
    for (const k of Object.keys(this.errorsByCode)) delete this.errorsByCode[k];
  }
}

class SessionRequests implements RequestSource {
  private n = 0;
  constructor(private readonly writeFrames: Buffer[], private readonly readFrames: Buffer[], private readonly readFraction: number) {}

  next(): { frame: Buffer; isRead: boolean } {
    const n = this.n++;
    const isRead = isReadAt(n, this.readFraction);
    const list = isRead ? this.readFrames : this.writeFrames;
    return { frame: list[n % list.length], isRead };
  }
}

/**
 * Requests to random nodes of a populated tree (Workload.existing). The paths all have the same
 * length (populatedNodeName pads to 7 digits), so each request is a template with the digits written
 * in: cheap enough that the client does not take the CPU the server under test needs. A ring of
 * WINDOW_MAX frames, since a session asks for up to a window of them before it copies them out.
 */
class RandomNodeRequests implements RequestSource {
  private n = 0;
  private seed: number;
  private readonly ring: Array<{ write: Buffer; read: Buffer }>;
  private readonly writeDigitsAt: number;
  private readonly readDigitsAt: number;
  private k = 0;

  constructor(parent: string, private readonly nodes: number, payload: Buffer, private readonly readFraction: number, seed: number) {
    if (nodes > 10_000_000) throw new Error('existing: at most 10,000,000 nodes (7-digit names)');
    this.seed = (seed * 0x9e3779b1) | 1;
    const path = `${parent}/${populatedNodeName(0)}`;
    const write = frames.setData(path, payload);
    const read = frames.getData(path);
    // The digits are the path's last 7 bytes: setData's path is followed by the data and version,
    // getData's by the watch flag.
    this.writeDigitsAt = write.indexOf(path) + path.length - 7;
    this.readDigitsAt = read.indexOf(path) + path.length - 7;
    this.ring = Array.from({ length: WINDOW_MAX }, () => ({ write: Buffer.from(write), read: Buffer.from(read) }));
  }

  next(): { frame: Buffer; isRead: boolean } {
    const isRead = isReadAt(this.n++, this.readFraction);
    // xorshift32: uniform enough over a million nodes, and the same sequence every run.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x;
    let i = (x >>> 0) % this.nodes;
    const slot = this.ring[this.k++ % WINDOW_MAX];
    const frame = isRead ? slot.read : slot.write;
    const at = isRead ? this.readDigitsAt : this.writeDigitsAt;
    for (let d = 6; d >= 0; d--) {
      frame[at + d] = 48 + (i % 10);
      i = Math.floor(i / 10);
    }
    return { frame, isRead };
  }
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function setUp(cfg: WorkerSetup): Promise<Array<{ session: BenchSession; source: RequestSource }>> {
  const w = cfg.workload;
  const payload = Buffer.alloc(w.payloadBytes, 0x61);
  const indexes = Array.from({ length: cfg.sessionCount }, (_, i) => cfg.firstSession + i);
  const out: Array<{ session: BenchSession; source: RequestSource }> = [];
  const needDataNodes = w.existing === undefined && (w.write === 'setData' || w.readFraction > 0);
  await inBatches(indexes, SETUP_PARALLEL_SESSIONS, async (g) => {
    const session = await BenchSession.connect(cfg.host, cfg.port, cfg.sessionTimeoutMs);
    if (w.existing !== undefined && w.write === 'setData') {
      out.push({ session, source: new RandomNodeRequests(w.existing.parent, w.existing.nodes, payload, w.readFraction, g + 1) });
      return;
    }
    const paths = Array.from({ length: cfg.nodesPerSession }, (_, k) => dataNodePath(cfg.root, g, k));
    if (needDataNodes) await Promise.all(paths.map((p) => ensureNode(session, p, payload)));
    let writeFrames: Buffer[];
    if (w.write === 'create') {
      const parent = createParentPath(cfg.root, g);
      await ensureNode(session, parent, null);
      writeFrames = [frames.create(`${parent}/n-`, payload, CreateFlag.PERSISTENT_SEQUENTIAL)];
    } else {
      writeFrames = paths.map((p) => frames.setData(p, payload));
    }
    const readFrames = paths.map((p) => frames.getData(p));
    out.push({ session, source: new SessionRequests(writeFrames, readFrames, w.readFraction) });
  });
  return out;
}

async function main(): Promise<void> {
  let sessions: Array<{ session: BenchSession; source: RequestSource }> = [];
  let cfg: WorkerSetup | undefined;
  const recorder = new Recorder();
  let measureStart = 0;
  let cpuStart: NodeJS.CpuUsage | undefined;
  let eluStart: EventLoopUtilization | undefined;
  let repliesAtMeasure: number[] = [];

  // The coordinator gone (killed, crashed) means nobody will ever send 'stop': leave at once.
  process.on('disconnect', () => {
    for (const s of sessions) s.session.destroy();
    process.exit();
  });

  process.on('message', (raw: unknown) => {
    const msg = raw as CoordinatorMessage;
    void (async () => {
      try {
        switch (msg.type) {
          case 'setup':
            cfg = msg;
            if (msg.sampleCapacity > 0) recorder.writeSamples = new SampleRecorder(msg.sampleCapacity);
            sessions = await setUp(msg);
            await send({ type: 'ready' });
            break;
          case 'start':
            if (!cfg) throw new Error('start before setup');
            for (const s of sessions) s.session.startLoad(cfg.workload.window, s.source, recorder);
            break;
          case 'measure':
            recorder.reset();
            recorder.epochOffsetMs = Date.now() - performance.now();
            recorder.measuring = true;
            cpuStart = process.cpuUsage();
            eluStart = performance.eventLoopUtilization();
            repliesAtMeasure = sessions.map((s) => s.session.repliesUnderLoad);
            measureStart = performance.now();
            break;
          case 'stop': {
            recorder.measuring = false;
            const elapsedMs = performance.now() - measureStart;
            const cpu = process.cpuUsage(cpuStart);
            const elu = performance.eventLoopUtilization(eluStart);
            const result: WorkerResult = {
              type: 'result',
              elapsedMs,
              writes: recorder.writes.snapshot(),
              reads: recorder.reads.snapshot(),
              writeSamples: recorder.writeSamples?.take() ?? null,
              errorsByCode: { ...recorder.errorsByCode },
              protocolErrors: 0,
              failures: [],
              starvedSessions: sessions.filter((s, i) => s.session.repliesUnderLoad === repliesAtMeasure[i]).length,
              unansweredAtEnd: 0,
              cpuUs: cpu.user + cpu.system,
              eventLoopUtilization: elu.utilization,
            };
            let drainTimer: NodeJS.Timeout | undefined;
            await Promise.race([
              Promise.all(sessions.map((s) => s.session.stopLoad())),
              new Promise((r) => { drainTimer = setTimeout(r, drainDeadlineMs(Math.max(result.writes.maxUs, result.reads.maxUs))); }),
            ]);
            clearTimeout(drainTimer);
            for (const s of sessions) {
              result.protocolErrors += s.session.protocolErrors;
              result.unansweredAtEnd += s.session.outstandingRequests;
              if (s.session.closedUnexpectedly) result.failures.push(`session 0x${s.session.sessionId.toString(16)}: ${s.session.closedUnexpectedly.message}`);
            }
            await Promise.all(sessions.map((s) => s.session.close()));
            await send(result);
            process.disconnect();
            break;
          }
        }
      } catch (err) {
        await send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
        for (const s of sessions) s.session.destroy();
        process.exitCode = 1;
        process.disconnect();
      }
    })();
  });
}

void main();
