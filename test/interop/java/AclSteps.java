// Interop driver steps for ACLs and authentication: world, ip, digest and auth schemes, invalid ACLs,
// NoAuth per permission bit, setACL versions and whoAmI.

import java.util.ArrayList;
import java.util.List;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

final class AclSteps extends Steps {
    AclSteps(Driver driver) {
        super(driver);
    }

    void acls(Session a, Session b) throws Exception {
        // generateDigest yields the whole id, "user:base64(sha1(user:password))".
        String aliceId = DigestAuthenticationProvider.generateDigest("alice:secret");
        step("create empty acl", () -> a.zk.create(ROOT + "/acl-none", null, new ArrayList<>(), CreateMode.PERSISTENT));
        step("create auth acl without auth", () -> a.zk.create(ROOT + "/acl-auth", null, Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
        step("create malformed digest acl", () -> a.zk.create(ROOT + "/acl-bad", null, acl(Perms.ALL, "digest", "nocolon"), CreateMode.PERSISTENT));
        step("create malformed ip acl", () -> a.zk.create(ROOT + "/acl-bad", null, acl(Perms.ALL, "ip", "300.1.2.3.4"), CreateMode.PERSISTENT));
        step("create unknown scheme acl", () -> a.zk.create(ROOT + "/acl-bad", null, acl(Perms.ALL, "nosuch", "x"), CreateMode.PERSISTENT));
        step("whoAmI S1 before auth", () -> Norm.clientInfos(a.zk.whoAmI()));
        step("addAuthInfo S1 digest alice", () -> {
            a.zk.addAuthInfo("digest", b("alice:secret"));
            return "ok";
        });
        step("whoAmI S1", () -> Norm.clientInfos(a.zk.whoAmI()));
        step("create auth acl", () -> a.zk.create(ROOT + "/acl-auth", b("mine"), Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT));
        step("getACL auth acl", () -> {
            Stat stat = new Stat();
            return Norm.acls(a.zk.getACL(ROOT + "/acl-auth", stat)) + " " + norm.stat(stat);
        });
        step("S1 getData auth acl", () -> getData(a, ROOT + "/acl-auth", null));
        step("S2 getData auth acl", () -> getData(b, ROOT + "/acl-auth", null));
        // No "S2 exists auth acl" step: exists checks READ since ZooKeeper 3.8.4 (zk-server does, Debian's
        // 3.8.0 does not), so that answer depends on the reference's version. test/integration covers it.
        step("S2 getACL auth acl", () -> Norm.acls(b.zk.getACL(ROOT + "/acl-auth", new Stat())));
        step("S2 setData auth acl", () -> norm.stat(b.zk.setData(ROOT + "/acl-auth", b("theirs"), -1)));
        step("S2 create child of auth acl", () -> b.zk.create(ROOT + "/acl-auth/c", null, OPEN, CreateMode.PERSISTENT));
        step("create digest acl for alice", () -> a.zk.create(ROOT + "/acl-digest", b("d"), acl(Perms.READ | Perms.WRITE, "digest", aliceId), CreateMode.PERSISTENT));
        step("S1 setData digest acl", () -> norm.stat(a.zk.setData(ROOT + "/acl-digest", b("d2"), -1)));
        step("S1 create child of digest acl", () -> a.zk.create(ROOT + "/acl-digest/c", null, OPEN, CreateMode.PERSISTENT));
        step("S1 setACL digest acl (no ADMIN)", () -> norm.stat(a.zk.setACL(ROOT + "/acl-digest", OPEN, -1)));
        step("create ip acl 127.0.0.1 r", () -> a.zk.create(ROOT + "/acl-ip", b("i"), acl(Perms.READ, "ip", "127.0.0.1"), CreateMode.PERSISTENT));
        step("S2 getData ip acl", () -> getData(b, ROOT + "/acl-ip", null));
        step("S2 setData ip acl", () -> norm.stat(b.zk.setData(ROOT + "/acl-ip", b("x"), -1)));
        step("create ip acl 127.0.0.0/8 rw", () -> a.zk.create(ROOT + "/acl-net", b("n"), acl(Perms.READ | Perms.WRITE, "ip", "127.0.0.0/8"), CreateMode.PERSISTENT));
        step("S2 setData ip net acl", () -> norm.stat(b.zk.setData(ROOT + "/acl-net", b("n2"), -1)));
        step("create ip acl 10.9.8.7", () -> a.zk.create(ROOT + "/acl-far", b("f"), acl(Perms.ALL, "ip", "10.9.8.7"), CreateMode.PERSISTENT));
        step("S1 getData ip far acl", () -> getData(a, ROOT + "/acl-far", null));
        step("S1 delete child-less ip far acl", () -> {
            a.zk.delete(ROOT + "/acl-far", -1);
            return "ok";
        });
        step("create world read-only", () -> a.zk.create(ROOT + "/acl-ro", b("ro"), Ids.READ_ACL_UNSAFE, CreateMode.PERSISTENT));
        step("setData world read-only", () -> norm.stat(a.zk.setData(ROOT + "/acl-ro", b("x"), -1)));
        step("create child of world read-only", () -> a.zk.create(ROOT + "/acl-ro/c", null, OPEN, CreateMode.PERSISTENT));
        step("setACL world read-only", () -> norm.stat(a.zk.setACL(ROOT + "/acl-ro", OPEN, -1)));
        List<ACL> mixed = new ArrayList<>();
        mixed.add(new ACL(Perms.ALL, new Id("digest", aliceId)));
        mixed.add(new ACL(Perms.READ, Ids.ANYONE_ID_UNSAFE));
        mixed.add(new ACL(Perms.CREATE | Perms.DELETE, new Id("ip", "127.0.0.1")));
        step("setACL " + ROOT + "/p v0", () -> norm.stat(a.zk.setACL(ROOT + "/p", mixed, 0)));
        step("setACL " + ROOT + "/p v0 again", () -> norm.stat(a.zk.setACL(ROOT + "/p", mixed, 0)));
        step("getACL " + ROOT + "/p", () -> {
            Stat stat = new Stat();
            return Norm.acls(a.zk.getACL(ROOT + "/p", stat)) + " " + norm.stat(stat);
        });
        step("S2 setData " + ROOT + "/p", () -> norm.stat(b.zk.setData(ROOT + "/p", b("x"), -1)));
        step("S2 create child of " + ROOT + "/p", () -> b.zk.create(ROOT + "/p/s2", null, OPEN, CreateMode.PERSISTENT));
        step("S2 delete child of " + ROOT + "/p", () -> {
            b.zk.delete(ROOT + "/p/s2", -1);
            return "ok";
        });
        step("S2 setACL " + ROOT + "/p", () -> norm.stat(b.zk.setACL(ROOT + "/p", OPEN, -1)));
        step("setACL " + ROOT + "/p open", () -> norm.stat(a.zk.setACL(ROOT + "/p", OPEN, 1)));
        step("setACL empty list", () -> norm.stat(a.zk.setACL(ROOT + "/p", new ArrayList<>(), -1)));
        step("addAuthInfo S1 digest bob", () -> {
            a.zk.addAuthInfo("digest", b("bob:pw2"));
            return "ok";
        });
        step("whoAmI S1 two identities", () -> Norm.clientInfos(a.zk.whoAmI()));
        step("create auth acl with two identities", () -> {
            a.zk.create(ROOT + "/acl-two", null, Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
            return Norm.acls(a.zk.getACL(ROOT + "/acl-two", new Stat()));
        });
        step("whoAmI S2", () -> Norm.clientInfos(b.zk.whoAmI()));
    }
}
