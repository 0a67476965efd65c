// How a znode's stored ephemeralOwner is read, as in Apache ZooKeeper's EphemeralType: 0 is a plain
// node, Long.MIN_VALUE marks a container, 0xff0000xxxxxxxxxx marks a TTL node (when extended types are
// enabled), and anything else is the id of the session owning an ephemeral node.

export type EphemeralType = 'void' | 'normal' | 'container' | 'ttl';

/** Long.MIN_VALUE, i.e. 0x8000000000000000 as a signed long: marks a container node. */
export const CONTAINER_EPHEMERAL_OWNER = -(1n << 63n);

/** Server ids above this cannot be used when extended types are on (the id sits in the high byte of session ids). */
export const MAX_EXTENDED_SERVER_ID = 0xfe;

const EXTENDED_MASK = 0xff00000000000000n;
const EXTENDED_BIT_TTL = 0x0000n;
const RESERVED_BITS_MASK = 0x00ffff0000000000n;
const RESERVED_BITS_SHIFT = 40n;
const EXTENDED_FEATURE_VALUE_MASK = 0x000000ffffffffffn;

/** The largest TTL in milliseconds (2^40 - 1, about 34 years). */
export const TTL_MAX_MS = Number(EXTENDED_FEATURE_VALUE_MASK);

const U64 = (1n << 64n) - 1n;

/**
 * The kind of node an ephemeralOwner denotes. Throws, like ZooKeeper, for an extended owner whose
 * feature bits name no known feature.
 */
export function ephemeralTypeOf(ephemeralOwner: bigint, extendedTypesEnabled: boolean): EphemeralType {
  if (extendedTypesEnabled) {
    const u = ephemeralOwner & U64;
    if ((u & EXTENDED_MASK) === EXTENDED_MASK) {
      const feature = (u & RESERVED_BITS_MASK) >> RESERVED_BITS_SHIFT;
      if (feature !== EXTENDED_BIT_TTL) {
        throw new RangeError(`Invalid ephemeralOwner. [${u.toString(16)}]`);
      }
      return 'ttl';
    }
  }
  if (ephemeralOwner === CONTAINER_EPHEMERAL_OWNER) return 'container';
  return ephemeralOwner === 0n ? 'void' : 'normal';
}

/** The stored ephemeralOwner of a TTL node: 0xff, two zero feature bytes, then the ttl. */
export function ttlToEphemeralOwner(ttlMs: number): bigint {
  const msg = ttlError(ttlMs);
  if (msg !== null) throw new RangeError(msg);
  return BigInt.asIntN(64, EXTENDED_MASK | EXTENDED_BIT_TTL | BigInt(ttlMs));
}

/** The ttl in milliseconds held by a TTL node's ephemeralOwner. */
export function ttlOf(ephemeralOwner: bigint): number {
  return Number(ephemeralOwner & EXTENDED_FEATURE_VALUE_MASK);
}

function ttlError(ttlMs: number): string | null {
  if (!Number.isInteger(ttlMs) || ttlMs > TTL_MAX_MS || ttlMs <= 0) {
    return `ttl must be positive and cannot be larger than: ${TTL_MAX_MS}`;
  }
  return null;
}

/**
 * ZooKeeper's EphemeralType.validateTTL for a create: TTL modes (flags 5 and 6) need a valid ttl, every
 * other mode must carry a negative one. Returns the IllegalArgumentException message or null.
 */
export function validateTtl(createFlags: number, ttlMs: number): string | null {
  const isTtlMode = createFlags === 5 || createFlags === 6;
  if (isTtlMode) return ttlError(ttlMs);
  if (ttlMs >= 0) return `ttl not valid for mode: ${createModeName(createFlags)}`;
  return null;
}

/** Extended types put the server id in the high byte of session ids, so it must stay below 0xff. */
export function validateServerId(serverId: number, extendedTypesEnabled: boolean): string | null {
  if (extendedTypesEnabled && serverId > MAX_EXTENDED_SERVER_ID) {
    return `extendedTypesEnabled is true but Server ID is too large. Cannot be larger than ${MAX_EXTENDED_SERVER_ID}`;
  }
  return null;
}

function createModeName(flags: number): string {
  switch (flags) {
    case 0: return 'PERSISTENT';
    case 1: return 'EPHEMERAL';
    case 2: return 'PERSISTENT_SEQUENTIAL';
    case 3: return 'EPHEMERAL_SEQUENTIAL';
    case 4: return 'CONTAINER';
    case 5: return 'PERSISTENT_WITH_TTL';
    case 6: return 'PERSISTENT_SEQUENTIAL_WITH_TTL';
    default: return String(flags);
  }
}
