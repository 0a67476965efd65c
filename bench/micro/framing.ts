// Frame decoding (src/server/framing.ts) as the server sees it under load: many small frames in one
// chunk (a pipelining client), one frame per chunk, and frames split across chunk boundaries.

import { FrameDecoder } from '../../src/server/framing.js';
import { frames } from '../lib/wire.js';
import { consume, type MicroSuite } from './suite.js';

const MAX_FRAME_BYTES = 1024 * 1024;

export function framingSuite(): MicroSuite {
  const one = frames.setData('/zk-bench/s12-3', Buffer.alloc(100, 0x61));
  const batch = Buffer.concat(Array.from({ length: 32 }, () => one));
  // Cut every frame in two, as TCP segments may.
  const cut = Math.floor(one.length / 2);
  const halves = [one.subarray(0, cut), one.subarray(cut)];
  const decoder = new FrameDecoder(MAX_FRAME_BYTES);
  return {
    name: 'framing',
    cases: [
      { name: 'decode 32 setData frames in one chunk (per chunk)', fn: () => consume(decoder.push(batch)) },
      { name: 'decode 1 setData frame per chunk', fn: () => consume(decoder.push(one)) },
      { name: 'decode 1 setData frame split over 2 chunks', fn: () => { decoder.push(halves[0]); consume(decoder.push(halves[1])); } },
    ],
  };
}
