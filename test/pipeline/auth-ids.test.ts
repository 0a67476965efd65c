// AuthIds against the orders ZooKeeper 3.8's own Id class iterates in a set backed by a
// ConcurrentHashMap, as ServerCnxn keeps a connection's identities (the expected strings came from a
// small Java program on JDK 17 with zookeeper-jute 3.8.0: add the ids in order, print
// new ArrayList<>(set)). getAcl after `auth::` and whoAmI show this order to clients.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthIds, idHash } from '../../src/pipeline/auth-ids.js';

const ids = (s: string): { scheme: string; id: string }[] =>
  s.split(' ').map((x) => ({ scheme: x.slice(0, x.indexOf(':')), id: x.slice(x.indexOf(':') + 1) }));
const show = (set: AuthIds): string => set.list.map((i) => `${i.scheme}:${i.id}`).join(' ');
const range = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i + 1)).join(' ');

const cases: { name: string; added: string; java: string }[] = [
  { name: 'two digest users after the ip id', added: 'ip:127.0.0.1 digest:a:xyz digest:b:abc', java: 'digest:b:abc digest:a:xyz ip:127.0.0.1' },
  {
    name: 'a super digest (super first, then digest, as the provider adds them)',
    added: 'ip:0:0:0:0:0:0:0:1 super: digest:alice:u8kDAM6ZPdtS+EDXSLYVPd7Ezyg= digest:bob:Xbb4BJXeazsbc7MWp8Eb5Kgmz8A=',
    java: 'super: digest:alice:u8kDAM6ZPdtS+EDXSLYVPd7Ezyg= digest:bob:Xbb4BJXeazsbc7MWp8Eb5Kgmz8A= ip:0:0:0:0:0:0:0:1',
  },
  { name: '40 digest ids (the table grows twice)', added: range(40, (i) => `digest:u${i}:h${i}`), java: 'digest:u13:h13 digest:u40:h40 digest:u24:h24 digest:u29:h29 digest:u18:h18 digest:u5:h5 digest:u19:h19 digest:u7:h7 digest:u9:h9 digest:u35:h35 digest:u39:h39 digest:u1:h1 digest:u3:h3 digest:u25:h25 digest:u14:h14 digest:u36:h36 digest:u32:h32 digest:u21:h21 digest:u16:h16 digest:u10:h10 digest:u15:h15 digest:u11:h11 digest:u4:h4 digest:u6:h6 digest:u8:h8 digest:u22:h22 digest:u26:h26 digest:u31:h31 digest:u33:h33 digest:u37:h37 digest:u2:h2 digest:u17:h17 digest:u20:h20 digest:u28:h28 digest:u12:h12 digest:u30:h30 digest:u23:h23 digest:u27:h27 digest:u34:h34 digest:u38:h38' },
  {
    name: '26 mixed ids (bins split with reversed prefixes)',
    added: range(13, (i) => `ip:127.0.1.${i} x509:CN=n${i}`),
    java: 'ip:127.0.1.4 ip:127.0.1.3 ip:127.0.1.6 ip:127.0.1.11 ip:127.0.1.5 ip:127.0.1.10 ip:127.0.1.2 ip:127.0.1.1 x509:CN=n9 x509:CN=n5 ip:127.0.1.8 ip:127.0.1.7 x509:CN=n6 x509:CN=n7 x509:CN=n8 ip:127.0.1.9 x509:CN=n13 x509:CN=n12 x509:CN=n11 x509:CN=n10 x509:CN=n1 x509:CN=n2 x509:CN=n3 x509:CN=n4 ip:127.0.1.13 ip:127.0.1.12',
  },
];

describe('AuthIds', () => {
  for (const c of cases) {
    it(`iterates as ZooKeeper's ConcurrentHashMap-backed set does: ${c.name}`, () => {
      assert.equal(show(new AuthIds(ids(c.added))), c.java);
    });
  }

  it('keeps one copy of an id added twice', () => {
    const set = new AuthIds(ids('ip:127.0.0.1 digest:a:x'));
    set.add({ scheme: 'digest', id: 'a:x' });
    assert.equal(set.list.length, 2);
    assert.ok(set.has({ scheme: 'digest', id: 'a:x' }));
    assert.ok(!set.has({ scheme: 'digest', id: 'a:y' }));
  });

  it('hashes an Id as the jute-generated hashCode does (values printed by JDK 17)', () => {
    assert.equal(idHash({ scheme: 'world', id: 'anyone' }), -1514785795);
    assert.equal(idHash({ scheme: 'digest', id: 'a:xyz' }), -1944699075);
  });
});
