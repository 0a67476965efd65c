// Interop driver steps for plain znode operations: create in every mode, read, write, version and
// error cases, sequential numbering, and multi / multiRead.

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

final class CoreSteps extends Steps {
    CoreSteps(Driver driver) {
        super(driver);
    }

    void basics(Session a) throws Exception {
        step("create " + ROOT, () -> a.zk.create(ROOT, b("root"), OPEN, CreateMode.PERSISTENT));
        step("create2 " + ROOT + "/p", () -> createWithStat(a, ROOT + "/p", b("hello"), OPEN, CreateMode.PERSISTENT, 0));
        step("create2 " + ROOT + "/nulldata", () -> createWithStat(a, ROOT + "/nulldata", null, OPEN, CreateMode.PERSISTENT, 0));
        step("getData " + ROOT + "/nulldata", () -> getData(a, ROOT + "/nulldata", null));
        step("create2 " + ROOT + "/empty", () -> createWithStat(a, ROOT + "/empty", new byte[0], OPEN, CreateMode.PERSISTENT, 0));
        step("getData " + ROOT + "/empty", () -> getData(a, ROOT + "/empty", null));
        step("getData " + ROOT + "/p", () -> getData(a, ROOT + "/p", null));
        step("setData " + ROOT + "/p v0", () -> norm.stat(a.zk.setData(ROOT + "/p", b("v1"), 0)));
        step("setData " + ROOT + "/p v0 again", () -> norm.stat(a.zk.setData(ROOT + "/p", b("v2"), 0)));
        step("setData " + ROOT + "/p any", () -> norm.stat(a.zk.setData(ROOT + "/p", b("v2"), -1)));
        step("setData " + ROOT + "/p null", () -> norm.stat(a.zk.setData(ROOT + "/p", null, -1)));
        step("getData " + ROOT + "/p", () -> getData(a, ROOT + "/p", null));
        step("setData " + ROOT + "/p back", () -> norm.stat(a.zk.setData(ROOT + "/p", b("hello again"), 3)));
        step("exists " + ROOT + "/p", () -> norm.stat(a.zk.exists(ROOT + "/p", false)));
        step("exists " + ROOT + "/none", () -> norm.stat(a.zk.exists(ROOT + "/none", false)));
        step("create " + ROOT + "/p/c1", () -> a.zk.create(ROOT + "/p/c1", b("1"), OPEN, CreateMode.PERSISTENT));
        step("create " + ROOT + "/p/c2", () -> a.zk.create(ROOT + "/p/c2", b("2"), OPEN, CreateMode.PERSISTENT));
        step("create " + ROOT + "/p/c2/g", () -> a.zk.create(ROOT + "/p/c2/g", b(""), OPEN, CreateMode.PERSISTENT));
        step("getChildren " + ROOT + "/p", () -> Norm.children(a.zk.getChildren(ROOT + "/p", false)));
        step("getChildren2 " + ROOT + "/p", () -> {
            Stat stat = new Stat();
            List<String> children = a.zk.getChildren(ROOT + "/p", false, stat);
            return Norm.children(children) + " " + norm.stat(stat);
        });
        step("getChildren " + ROOT + "/p/c1", () -> Norm.children(a.zk.getChildren(ROOT + "/p/c1", false)));
        step("delete " + ROOT + "/p/c1", () -> {
            a.zk.delete(ROOT + "/p/c1", 0);
            return "ok";
        });
        step("exists " + ROOT + "/p after child delete", () -> norm.stat(a.zk.exists(ROOT + "/p", false)));
        step("getAllChildrenNumber " + ROOT, () -> Integer.toString(a.zk.getAllChildrenNumber(ROOT)));
        step("getAllChildrenNumber " + ROOT + "/p/c2/g", () -> Integer.toString(a.zk.getAllChildrenNumber(ROOT + "/p/c2/g")));
        step("sync " + ROOT, () -> {
            CountDownLatch done = new CountDownLatch(1);
            AtomicReference<String> result = new AtomicReference<>();
            a.zk.sync(ROOT, (rc, path, ctx) -> {
                result.set("rc=" + Norm.errorCode(rc) + " path=" + path);
                done.countDown();
            }, null);
            return done.await(20, TimeUnit.SECONDS) ? result.get() : "TIMEOUT";
        });
        step("getConfig", () -> {
            Stat stat = new Stat();
            byte[] config = a.zk.getConfig(false, stat);
            return Norm.data(config) + " " + norm.stat(stat);
        });
        step("getChildren /zookeeper", () -> Norm.children(a.zk.getChildren("/zookeeper", false)));
        // Large payloads exercise framing across many socket reads; 1 MiB is past the server's
        // default jute.maxbuffer (0xfffff), which makes it drop the connection.
        byte[] big = new byte[700_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + i % 26);
        }
        step("create large " + ROOT + "/big", () -> createWithStat(a, ROOT + "/big", big, OPEN, CreateMode.PERSISTENT, 0));
        step("getData large", () -> getData(a, ROOT + "/big", null));
        Session tooBig = open();
        step("setData over jute.maxbuffer", () -> norm.stat(tooBig.zk.setData(ROOT + "/big", new byte[1 << 20], -1)));
        step("session survives dropped connection", () -> norm.stat(tooBig.zk.exists(ROOT + "/big", false)));
        step("close", () -> {
            tooBig.close();
            return "ok";
        });
    }

    void sequentialAndModes(Session a) throws Exception {
        String seq = ROOT + "/seq";
        step("create " + seq, () -> a.zk.create(seq, null, OPEN, CreateMode.PERSISTENT));
        step("create PERSISTENT_SEQUENTIAL", () -> a.zk.create(seq + "/n-", b("a"), OPEN, CreateMode.PERSISTENT_SEQUENTIAL));
        step("create PERSISTENT_SEQUENTIAL", () -> a.zk.create(seq + "/n-", b("b"), OPEN, CreateMode.PERSISTENT_SEQUENTIAL));
        step("create EPHEMERAL_SEQUENTIAL", () -> createWithStat(a, seq + "/e-", b("c"), OPEN, CreateMode.EPHEMERAL_SEQUENTIAL, 0));
        step("create plain child", () -> a.zk.create(seq + "/plain", null, OPEN, CreateMode.PERSISTENT));
        step("delete " + seq + "/n-0000000001", () -> {
            a.zk.delete(seq + "/n-0000000001", -1);
            return "ok";
        });
        step("create PERSISTENT_SEQUENTIAL after delete", () -> a.zk.create(seq + "/n-", null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL));
        step("create PERSISTENT_SEQUENTIAL bare", () -> a.zk.create(seq + "/", null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL));
        step("getChildren2 " + seq, () -> {
            Stat stat = new Stat();
            return Norm.children(a.zk.getChildren(seq, false, stat)) + " " + norm.stat(stat);
        });
        step("create2 EPHEMERAL " + ROOT + "/e", () -> createWithStat(a, ROOT + "/e", b("eph"), OPEN, CreateMode.EPHEMERAL, 0));
        step("create2 CONTAINER " + ROOT + "/c", () -> createWithStat(a, ROOT + "/c", b("box"), OPEN, CreateMode.CONTAINER, 0));
        step("create CONTAINER child", () -> a.zk.create(ROOT + "/c/item", null, OPEN, CreateMode.PERSISTENT));
        step("create2 PERSISTENT_WITH_TTL " + ROOT + "/ttl", () -> createWithStat(a, ROOT + "/ttl", b("t"), OPEN, CreateMode.PERSISTENT_WITH_TTL, 600_000));
        step("create2 PERSISTENT_SEQUENTIAL_WITH_TTL", () -> createWithStat(a, ROOT + "/ttls-", b("t"), OPEN, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, 600_000));
        step("create ephemeral child of ttl", () -> a.zk.create(ROOT + "/ttl/eph", null, OPEN, CreateMode.EPHEMERAL));
        step("getEphemerals", () -> Norm.ephemerals(a.zk.getEphemerals()));
        step("getEphemerals " + seq, () -> Norm.ephemerals(a.zk.getEphemerals(seq)));
        step("getEphemerals /nothing-here", () -> Norm.ephemerals(a.zk.getEphemerals("/nothing-here")));
    }

    void errors(Session a) throws Exception {
        step("create existing " + ROOT + "/p", () -> a.zk.create(ROOT + "/p", null, OPEN, CreateMode.PERSISTENT));
        step("create under missing parent", () -> a.zk.create(ROOT + "/missing/child", null, OPEN, CreateMode.PERSISTENT));
        step("create under ephemeral", () -> a.zk.create(ROOT + "/e/child", null, OPEN, CreateMode.PERSISTENT));
        step("create sequential under ephemeral", () -> a.zk.create(ROOT + "/e/s-", null, OPEN, CreateMode.EPHEMERAL_SEQUENTIAL));
        step("delete non-empty " + ROOT + "/p", () -> {
            a.zk.delete(ROOT + "/p", -1);
            return "ok";
        });
        step("delete bad version", () -> {
            a.zk.delete(ROOT + "/empty", 7);
            return "ok";
        });
        step("delete missing", () -> {
            a.zk.delete(ROOT + "/none", -1);
            return "ok";
        });
        step("setData missing", () -> norm.stat(a.zk.setData(ROOT + "/none", b("x"), -1)));
        step("getData missing", () -> getData(a, ROOT + "/none", null));
        step("getChildren missing", () -> Norm.children(a.zk.getChildren(ROOT + "/none", false)));
        step("getAllChildrenNumber missing", () -> Integer.toString(a.zk.getAllChildrenNumber(ROOT + "/none")));
        step("getACL missing", () -> Norm.acls(a.zk.getACL(ROOT + "/none", new Stat())));
        step("setACL missing", () -> norm.stat(a.zk.setACL(ROOT + "/none", OPEN, -1)));
        step("delete /zookeeper", () -> {
            a.zk.delete("/zookeeper", -1);
            return "ok";
        });
        step("create /zookeeper/x", () -> a.zk.create("/zookeeper/x", null, OPEN, CreateMode.PERSISTENT));
    }

    void multi(Session a) throws Exception {
        String m = ROOT + "/m";
        step("multi success", () -> norm.results(a.zk.multi(Arrays.asList(
            Op.create(m, b("m"), OPEN, CreateMode.PERSISTENT),
            Op.create(m + "/x", null, OPEN, CreateMode.EPHEMERAL),
            Op.create(m + "/s-", null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL),
            Op.setData(m, b("m2"), 0),
            Op.check(m, 1),
            Op.delete(m + "/x", 0),
            Op.create(m + "/ttl", null, OPEN, CreateMode.PERSISTENT_WITH_TTL, 600_000),
            Op.create(m + "/c", null, OPEN, CreateMode.CONTAINER)))));
        step("multi check failure", () -> norm.results(a.zk.multi(Arrays.asList(
            Op.create(m + "/rolled-back", null, OPEN, CreateMode.PERSISTENT),
            Op.check(m, 99),
            Op.setData(ROOT + "/none", b("x"), -1)))));
        step("exists rolled-back", () -> norm.stat(a.zk.exists(m + "/rolled-back", false)));
        step("multi missing node failure", () -> norm.results(a.zk.multi(Arrays.asList(
            Op.setData(m, b("m3"), -1),
            Op.delete(ROOT + "/none", -1)))));
        step("multi node exists failure", () -> norm.results(a.zk.multi(Arrays.asList(
            Op.create(m + "/dup", null, OPEN, CreateMode.PERSISTENT),
            Op.create(m + "/dup", null, OPEN, CreateMode.PERSISTENT)))));
        step("multi create then delete same", () -> norm.results(a.zk.multi(Arrays.asList(
            Op.create(m + "/tmp", null, OPEN, CreateMode.PERSISTENT),
            Op.delete(m + "/tmp", -1)))));
        step("multi noauth failure", () -> norm.results(a.zk.multi(Arrays.asList(
            Op.create(m + "/y", null, OPEN, CreateMode.PERSISTENT),
            Op.setData(ROOT + "/acl-ro", b("x"), -1)))));
        step("multi empty", () -> norm.results(a.zk.multi(new ArrayList<>())));
        step("getData " + m, () -> getData(a, m, null));
        step("getChildren " + m, () -> Norm.children(a.zk.getChildren(m, false)));
        step("multiRead", () -> norm.results(a.zk.multi(Arrays.asList(
            Op.getData(m),
            Op.getChildren(ROOT + "/seq"),
            Op.getData(ROOT + "/none"),
            Op.getChildren(ROOT + "/none"),
            Op.getData(ROOT + "/acl-far"),
            Op.getData(ROOT + "/nulldata")))));
    }
}
