// EphemeralType: reading ephemeralOwner markers and validating TTLs as ZooKeeper does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONTAINER_EPHEMERAL_OWNER, ephemeralTypeOf, TTL_MAX_MS, ttlOf, ttlToEphemeralOwner, validateServerId, validateTtl,
} from '../../src/tree/index.js';
import { CreateFlag } from '../../src/protocol/constants.js';

test('ephemeralOwner kinds, with and without extended types', () => {
  for (const ext of [true, false]) {
    assert.equal(ephemeralTypeOf(0n, ext), 'void');
    assert.equal(ephemeralTypeOf(0x300000d6def0002n, ext), 'normal');
    assert.equal(ephemeralTypeOf(CONTAINER_EPHEMERAL_OWNER, ext), 'container');
  }
  const ttlOwner = ttlToEphemeralOwner(3600000);
  assert.equal(ttlOwner, BigInt.asIntN(64, 0xff0000000036ee80n));
  assert.equal(ephemeralTypeOf(ttlOwner, true), 'ttl');
  assert.equal(ephemeralTypeOf(ttlOwner, false), 'normal');
  assert.equal(ttlOf(ttlOwner), 3600000);
  // 0xff with unknown feature bits is an error when extended types are on.
  assert.throws(() => ephemeralTypeOf(BigInt.asIntN(64, 0xff00010000000001n), true), /Invalid ephemeralOwner/);
  assert.equal(ephemeralTypeOf(BigInt.asIntN(64, 0xff00010000000001n), false), 'normal');
});

test('TTL limits', () => {
  assert.equal(TTL_MAX_MS, 2 ** 40 - 1);
  assert.equal(ttlToEphemeralOwner(1), BigInt.asIntN(64, 0xff00000000000001n));
  assert.equal(ttlToEphemeralOwner(TTL_MAX_MS), BigInt.asIntN(64, 0xff0000ffffffffffn));
  assert.throws(() => ttlToEphemeralOwner(0), /ttl must be positive and cannot be larger than: 1099511627775/);
  assert.throws(() => ttlToEphemeralOwner(TTL_MAX_MS + 1), RangeError);
  assert.equal(validateTtl(CreateFlag.PERSISTENT_WITH_TTL, 1000), null);
  assert.equal(validateTtl(CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL, 0), 'ttl must be positive and cannot be larger than: 1099511627775');
  assert.equal(validateTtl(CreateFlag.PERSISTENT, -1), null);
  assert.equal(validateTtl(CreateFlag.EPHEMERAL, 5), 'ttl not valid for mode: EPHEMERAL');
  assert.equal(validateServerId(254, true), null);
  assert.match(validateServerId(255, true) ?? '', /Server ID is too large/);
  assert.equal(validateServerId(255, false), null);
});
