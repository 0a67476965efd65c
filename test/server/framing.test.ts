// The frame decoder against every way a byte stream can be cut into chunks: frames whole, split
// inside the length prefix or the body, several per chunk, empty ones, and a length it refuses.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameDecoder, FrameError } from '../../src/server/framing.js';

function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(body.length);
  return Buffer.concat([head, body]);
}

function bodies(sizes: readonly number[]): Buffer[] {
  return sizes.map((n, i) => Buffer.alloc(n, (i * 37 + 11) & 0xff));
}

function decodeAll(decoder: FrameDecoder, chunks: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) out.push(...decoder.push(c));
  return out;
}

describe('FrameDecoder', () => {
  const expected = bodies([0, 1, 3, 4, 5, 17, 100, 0, 250]);
  const stream = Buffer.concat(expected.map(frame));

  it('returns the frames of a stream that arrives in one chunk', () => {
    assert.deepEqual(decodeAll(new FrameDecoder(1024), [stream]), expected);
  });

  it('returns the same frames for every single cut of the stream', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const got = decodeAll(new FrameDecoder(1024), [stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual(got, expected, `cut at ${cut}`);
    }
  });

  it('returns the same frames for every pair of cuts', () => {
    for (let a = 0; a <= stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 5) {
        const chunks = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)];
        assert.deepEqual(decodeAll(new FrameDecoder(1024), chunks), expected, `cuts at ${a}, ${b}`);
      }
    }
  });

  it('returns the same frames when the stream arrives a byte at a time', () => {
    const chunks = [...stream].map((byte) => Buffer.from([byte]));
    assert.deepEqual(decodeAll(new FrameDecoder(1024), chunks), expected);
  });

  it('hands out frames that later chunks do not change', () => {
    const decoder = new FrameDecoder(1024);
    const first = Buffer.from(stream.subarray(0, 30));
    const got = decoder.push(first);
    const copies = got.map((f) => Buffer.from(f));
    decoder.push(Buffer.from(stream.subarray(30)));
    assert.deepEqual(got, copies);
  });

  it('refuses a frame longer than the limit as soon as its length has arrived', () => {
    const head = Buffer.alloc(4);
    head.writeInt32BE(2048);
    assert.throws(() => new FrameDecoder(1024).push(head), FrameError);
    const split = new FrameDecoder(1024);
    assert.deepEqual(split.push(head.subarray(0, 2)), []);
    assert.throws(() => split.push(head.subarray(2)), /frame length 2048 outside 0\.\.1024/);
    const afterFrames = Buffer.concat([frame(Buffer.alloc(10)), head]);
    assert.throws(() => new FrameDecoder(1024).push(afterFrames), FrameError);
  });

  it('refuses a negative length', () => {
    const head = Buffer.alloc(4);
    head.writeInt32BE(-1);
    assert.throws(() => new FrameDecoder(1024).push(head), /frame length -1/);
  });
});
