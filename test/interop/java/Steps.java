// Shared vocabulary of the interop driver's step classes: the root they work under and short helpers
// for the calls whose results are printed with a Stat.

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

abstract class Steps {
    // zkCli's session works under /cli on the same server; the two never touch each other's tree.
    static final String ROOT = "/java";
    static final List<ACL> OPEN = Ids.OPEN_ACL_UNSAFE;

    final Driver driver;
    final Norm norm;

    Steps(Driver driver) {
        this.driver = driver;
        this.norm = driver.norm;
    }

    void step(String label, Driver.Action action) throws Exception {
        driver.step(label, action, true);
    }

    void step(String label, Driver.Action action, boolean ordered) throws Exception {
        driver.step(label, action, ordered);
    }

    Session open() throws Exception {
        return driver.open();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static List<ACL> acl(int perms, String scheme, String id) {
        return Collections.singletonList(new ACL(perms, new Id(scheme, id)));
    }

    String createWithStat(Session s, String path, byte[] data, List<ACL> acl, CreateMode mode, long ttl)
            throws Exception {
        Stat stat = new Stat();
        String created = ttl > 0 ? s.zk.create(path, data, acl, mode, stat, ttl) : s.zk.create(path, data, acl, mode, stat);
        return created + " " + norm.stat(stat);
    }

    String getData(Session s, String path, Watcher w) throws Exception {
        Stat stat = new Stat();
        byte[] data = s.zk.getData(path, w, stat);
        return Norm.data(data) + " " + norm.stat(stat);
    }
}
