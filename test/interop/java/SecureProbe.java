// The Java client over TLS and SASL, for test/interop/tls-sasl.test.ts: connects with whatever the
// JVM's system properties configure (zookeeper.client.secure, zookeeper.ssl.*, a JAAS Client
// section), waits until connected (and SASL-authenticated with -Dprobe.sasl=true) or refused, then
// runs the steps given as arguments and prints one line each:
//   whoami                      -> "whoami <scheme>:<user>" per identity
//   create:<path>:<scheme>:<id> -> "create <path> ok|<error>"   (ACL: all permissions to scheme:id)
//   get:<path>                  -> "get <path> <data>|<error>"

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;

public final class SecureProbe {
    public static void main(String[] args) throws Exception {
        boolean sasl = Boolean.getBoolean("probe.sasl");
        CountDownLatch settled = new CountDownLatch(1);
        List<KeeperState> states = Collections.synchronizedList(new ArrayList<>());
        ZooKeeper zk = new ZooKeeper(args[0], 30_000, e -> {
            KeeperState s = e.getState();
            states.add(s);
            if (s == KeeperState.AuthFailed || s == KeeperState.SaslAuthenticated || (!sasl && s == KeeperState.SyncConnected)) {
                settled.countDown();
            }
        });
        if (!settled.await(Long.getLong("probe.waitMs", 20_000L), TimeUnit.MILLISECONDS)) {
            System.out.println("timeout " + states);
            zk.close();
            System.exit(3);
        }
        KeeperState last = states.get(states.size() - 1);
        System.out.println("state " + last);
        if (last == KeeperState.AuthFailed) {
            zk.close();
            return;
        }
        for (int i = 1; i < args.length; i++) {
            String[] step = args[i].split(":", 4);
            try {
                switch (step[0]) {
                    case "whoami":
                        for (ClientInfo c : zk.whoAmI()) System.out.println("whoami " + c.getAuthScheme() + ":" + c.getUser());
                        break;
                    case "create": {
                        List<ACL> acl = Collections.singletonList(new ACL(ZooDefsPerms.ALL, new Id(step[2], step[3])));
                        zk.create(step[1], "x".getBytes(StandardCharsets.UTF_8), acl, CreateMode.PERSISTENT);
                        System.out.println("create " + step[1] + " ok");
                        break;
                    }
                    case "get":
                        System.out.println("get " + step[1] + " " + new String(zk.getData(step[1], false, null), StandardCharsets.UTF_8));
                        break;
                    default:
                        throw new IllegalArgumentException("unknown step " + args[i]);
                }
            } catch (KeeperException e) {
                System.out.println(step[0] + " " + (step.length > 1 ? step[1] + " " : "") + e.code());
            }
        }
        zk.close();
    }

    private static final class ZooDefsPerms {
        static final int ALL = org.apache.zookeeper.ZooDefs.Perms.ALL;
    }
}
