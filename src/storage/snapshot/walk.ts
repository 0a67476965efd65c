// The tree walk takeSnapshot slices: ZooKeeper's snapshot order (a node, then each child's subtree in
// turn), costing O(1) per node and allocating nothing per leaf, even under a parent with a million
// children.
//
// It follows the nodes' child references with live Map iterators: no copy of a parent's child
// names, no path string rebuilt and looked up per node. (Copying the names and looking every path
// up again cost ~4 µs a node on the main thread, 40% of it in the lookups, and ~100 MB of
// short-lived strings per million-node snapshot for the young-generation GC.) A path is passed as
// the parent's prefix and the child's name; only a parent's own prefix is ever concatenated.

import type { DataTree } from '../../tree/data-tree.js';
import type { DataNode } from '../../tree/node.js';

/** One step of the walk. The same object is reused for every step: read it before the next. */
export interface WalkStep {
  /** The parent's path plus '/' ('/' under the root); '' for the root itself. */
  prefix: string;
  /** The node's own name; '' for the root (which snapshots name ''). */
  name: string;
  node: DataNode;
}

interface Frame {
  prefix: string;
  children: Iterator<[string, DataNode]>;
}

/**
 * Yields every node, parents before children, in the order DataTree.nodesInSnapshotOrder does when
 * the tree is not changing. While it changes (the snapshot is fuzzy: replaying the log from its zxid
 * makes it good), a child deleted before its turn is left out and one added to a parent still being
 * walked is included; a child deleted and re-created after its turn can come twice, which a restore
 * takes as the later copy.
 */
export function* snapshotWalk(tree: DataTree): Generator<WalkStep> {
  const root = tree.getNode('');
  if (root === undefined) return;
  const step: WalkStep = { prefix: '', name: '', node: root };
  yield step;
  const stack: Frame[] = [];
  if (root.numChildren > 0) stack.push({ prefix: '/', children: root.childNodes.entries() });
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const next = top.children.next();
    if (next.done === true) {
      stack.pop();
      continue;
    }
    const [name, node] = next.value;
    step.prefix = top.prefix;
    step.name = name;
    step.node = node;
    yield step;
    if (node.numChildren > 0) stack.push({ prefix: `${top.prefix}${name}/`, children: node.childNodes.entries() });
  }
}

/** The full path of a step (the root as ''). */
export function stepPath(step: WalkStep): string {
  return step.prefix + step.name;
}
