// A large parent's children (src/tree/child-table.ts): the table must answer exactly as a Map of
// the same names does, whatever mix of names (short, long, non-Latin-1, colliding in their first
// eight characters) and however many adds and removes, and its iterators must keep a Map's
// guarantees for a fuzzy snapshot walk while the table changes under them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChildTable, tagOf } from '../../src/tree/child-table.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { OPEN_ACL_UNSAFE } from '../../src/tree/acl-cache.js';
import { hashSetOrder } from '../../src/tree/java-hash.js';

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Names that stress the inline comparison: equal first 8 chars, lengths around 8, wide chars. */
function nameOf(i: number): string {
  switch (i % 7) {
    case 0: return `n${String(i).padStart(7, '0')}`;
    case 1: return `n${String(i - 1).padStart(7, '0')}x`;
    case 2: return `lock-${String(i).padStart(10, '0')}`;
    case 3: return `ő${i}`;
    case 4: return String(i);
    case 5: return `名前${i}`;
    default: return `n000000${i % 10}`.slice(0, 1 + (i % 8));
  }
}

/** Distinct for distinct i, in the same styles. */
function uniqueName(i: number): string {
  switch (i % 5) {
    case 0: return `n${String(i).padStart(7, '0')}`;
    case 1: return `n${String(i - 1).padStart(7, '0')}x`;
    case 2: return `ő${i}`;
    case 3: return String(i);
    default: return `lock-${String(i).padStart(10, '0')}`;
  }
}

test('answers as a Map does through seeded adds, replaces and removes', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const rnd = prng(seed);
    const table = new ChildTable<number>();
    const model = new Map<string, number>();
    const universe = 3000 + seed * 500;
    for (let step = 0; step < 40_000; step++) {
      const name = nameOf(Math.floor(rnd() * universe));
      const r = rnd();
      // Phases: mostly growing, then mostly shrinking (rebuilds and shrinks), then mixed.
      const removeShare = step < 15_000 ? 0.2 : step < 30_000 ? 0.8 : 0.5;
      if (r < removeShare) {
        assert.equal(table.delete(name), model.delete(name), `seed ${seed} step ${step}: delete ${name}`);
      } else {
        const added = !model.has(name);
        model.set(name, step);
        assert.equal(table.set(name, step), added, `seed ${seed} step ${step}: set ${name}`);
      }
      const probe = nameOf(Math.floor(rnd() * universe));
      assert.equal(table.get(probe), model.get(probe), `seed ${seed} step ${step}: get ${probe}`);
      assert.equal(table.size, model.size);
    }
    assert.deepEqual([...table], [...model], `seed ${seed}: entries in insertion order`);
    assert.deepEqual([...table.keys()], [...model.keys()]);
    assert.deepEqual([...table.values()], [...model.values()]);
    for (const name of model.keys()) assert.equal(table.get(name), model.get(name));
    assert.equal(table.get('absent'), undefined);
    assert.equal(table.get(''), undefined);
  }
});

/** Two names of the form prefix + 4 letters whose tags (hash and length code) are equal. */
function collidingPair(prefix: string): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    let suffix = '';
    for (let n = i, k = 0; k < 4; k++, n = Math.floor(n / 26)) suffix += String.fromCharCode(97 + (n % 26));
    const name = prefix + suffix;
    const other = seen.get(tagOf(name));
    if (other !== undefined) return [other, name];
    seen.set(tagOf(name), name);
  }
}

test('names whose hashes collide are still told apart, inline and long alike', () => {
  // Short: the whole name is in the slot, so its last four characters decide. Long: the first
  // eight are equal, so the names themselves must be compared.
  for (const prefix of ['abcd', 'abcdefgh-']) {
    const [a, b] = collidingPair(prefix);
    assert.equal(tagOf(a), tagOf(b));
    const table = new ChildTable<string>();
    for (let i = 0; i < 100; i++) table.set(`filler${i}`, 'x');
    table.set(a, a);
    assert.equal(table.get(b), undefined, `${b} is not ${a}`);
    assert.equal(table.set(b, b), true, `${b} is a name of its own`);
    assert.equal(table.get(a), a);
    assert.equal(table.get(b), b);
    assert.equal(table.delete(a), true);
    assert.equal(table.get(b), b);
    assert.equal(table.get(a), undefined);
  }
});

test('iterators under way see every entry present throughout, skip removed ones and reach added ones', () => {
  for (let seed = 1; seed <= 8; seed++) {
    const rnd = prng(100 + seed);
    const table = new ChildTable<number>();
    for (let i = 0; i < 2000; i++) table.set(uniqueName(i), i);
    const keys = table.keys();
    const values = table.values();
    const seen: string[] = [];
    const removedEver = new Set<string>();
    const addedDuring = new Set<string>();
    let next = 2000;
    for (;;) {
      const k = keys.next();
      const v = values.next();
      assert.equal(k.done, v.done, 'names and values stay in step');
      if (k.done === true) break;
      assert.equal(table.get(k.value) ?? v.value, v.value, 'a present name is met with its own value');
      seen.push(k.value);
      // Between steps: removals (enough to force rebuilds of the dense arrays) and additions.
      for (let j = 0; j < 3; j++) {
        const victim = uniqueName(Math.floor(rnd() * next));
        if (table.delete(victim)) removedEver.add(victim);
      }
      if (rnd() < 0.5) {
        const name = uniqueName(next++);
        table.set(name, next);
        addedDuring.add(name);
      }
    }
    const seenSet = new Set(seen);
    assert.equal(seenSet.size, seen.length, `seed ${seed}: no name met twice`);
    for (const name of table.keys()) {
      // Present now and never removed: present throughout (or added during the walk).
      if (!removedEver.has(name) && !addedDuring.has(name)) assert.ok(seenSet.has(name), `seed ${seed}: ${name} was present throughout but not met`);
    }
  }
});

test('a parent past the threshold keeps its children, ZooKeeper order and live walks across the switch', () => {
  const tree = new DataTree();
  tree.createNode('/p', Buffer.alloc(0), OPEN_ACL_UNSAFE, 0n, -1, 1, 1);
  let zxid = 2;
  const names: string[] = [];
  for (let i = 0; i < 40; i++) {
    names.push(uniqueName(i));
    tree.createNode(`/p/${uniqueName(i)}`, Buffer.from([i]), OPEN_ACL_UNSAFE, 0n, -1, zxid++, 1);
  }
  const parent = tree.getNode('/p') ?? assert.fail('no /p');
  // A walk begun on the Map, carried on while the parent switches to a table and loses children.
  const walk = parent.childNodes.keys();
  const first = walk.next();
  assert.equal(first.value, names[0]);
  for (let i = 40; i < 300; i++) {
    names.push(uniqueName(i));
    tree.createNode(`/p/${uniqueName(i)}`, Buffer.from([i & 0xff]), OPEN_ACL_UNSAFE, 0n, -1, zxid++, 1);
  }
  tree.deleteNode(`/p/${names[5]}`, zxid++);
  const rest = [...walk];
  for (let i = 1; i < 40; i++) assert.ok(rest.includes(names[i]) || i === 5, `${names[i]}, present before the switch, is met`);
  names.splice(5, 1);
  assert.equal(parent.numChildren, names.length);
  for (const [i, name] of names.entries()) {
    const node = tree.getNode(`/p/${name}`) ?? assert.fail(`no /p/${name}`);
    assert.deepEqual(node.data, Buffer.from([(i >= 5 ? i + 1 : i) & 0xff]));
  }
  assert.equal(tree.getNode(`/p/${uniqueName(5)}`), undefined);
  assert.deepEqual([...parent.children], names, 'insertion order');
  // getChildren's order is ZooKeeper's HashSet's, whatever holds the children: 300 names took
  // its table from 8 to 512 buckets.
  assert.deepEqual(parent.childNamesInZooKeeperOrder(), hashSetOrder(names, 512));
});
