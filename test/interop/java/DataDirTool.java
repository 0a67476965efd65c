// Data-directory interop service: one JVM that, on commands read from stdin, dumps a server's whole tree
// through ZooKeeper's Java client, or runs ZooKeeper's TxnLogToolkit / SnapshotFormatter on a file.
// One long-lived JVM instead of one per step, because a JVM start costs more than the work itself.
//
// Commands, one a line:  dump <host:port> <scheme:auth>...  |  txnlog <file>  |  snapshot <file>  |  quit
// Every answer ends with a line "@end ok" or "@end error <message>".

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.SnapshotFormatter;
import org.apache.zookeeper.server.persistence.TxnLogToolkit;
import org.apache.zookeeper.util.ServiceUtils;

public final class DataDirTool {
    private static final int SESSION_TIMEOUT_MS = 30_000;
    private static final long CONNECT_WAIT_MS = 20_000;

    private DataDirTool() {
    }

    public static void main(String[] args) throws Exception {
        // The tools call System.exit on bad input; here that must end one command, not the service.
        ServiceUtils.setSystemExitProcedure(code -> {
            throw new IllegalStateException("tool requested exit " + code);
        });
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split(" ");
            if (words[0].equals("quit")) {
                break;
            }
            String status = "ok";
            try {
                switch (words[0]) {
                    case "dump":
                        dump(words, out);
                        break;
                    case "txnlog":
                        captured(out, () -> TxnLogToolkit.main(new String[] {"-d", words[1]}));
                        break;
                    case "snapshot":
                        captured(out, () -> SnapshotFormatter.main(new String[] {"-d", words[1]}));
                        break;
                    default:
                        status = "error unknown command " + words[0];
                }
            } catch (Throwable e) {
                status = "error " + e.toString().replace('\n', ' ');
            }
            out.println("@end " + status);
            out.flush();
        }
        out.flush();
        System.exit(0);
    }

    private interface Tool {
        void run() throws Exception;
    }

    // The tools print to System.out (and their errors to System.err) as they run; both are collected
    // and passed on, so an exception's trace is part of the answer.
    private static void captured(PrintStream out, Tool tool) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            tool.run();
        } finally {
            capture.flush();
            System.setOut(savedOut);
            System.setErr(savedErr);
            out.print(buf.toString(StandardCharsets.UTF_8));
        }
    }

    private static void dump(String[] words, PrintStream out) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(words[1], SESSION_TIMEOUT_MS, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        try {
            if (!connected.await(CONNECT_WAIT_MS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("no SyncConnected from " + words[1]);
            }
            for (int i = 2; i < words.length; i++) {
                int colon = words[i].indexOf(':');
                zk.addAuthInfo(words[i].substring(0, colon), words[i].substring(colon + 1).getBytes(StandardCharsets.UTF_8));
            }
            List<String> lines = new ArrayList<>();
            walk(zk, "/", lines);
            Collections.sort(lines);
            for (String l : lines) {
                out.println(l);
            }
        } finally {
            zk.close();
        }
    }

    private static void walk(ZooKeeper zk, String path, List<String> lines) throws Exception {
        Stat stat = new Stat();
        byte[] data = zk.getData(path, false, stat);
        Stat aclStat = new Stat();
        List<ACL> acl = zk.getACL(path, aclStat);
        lines.add(path + "\t" + data(data) + "\t" + acl(acl) + "\t" + stat(stat));
        List<String> children = zk.getChildren(path, false);
        Collections.sort(children);
        for (String child : children) {
            walk(zk, path.equals("/") ? "/" + child : path + "/" + child, lines);
        }
    }

    static String data(byte[] data) {
        return data == null ? "null" : "b64:" + Base64.getEncoder().encodeToString(data);
    }

    static String acl(List<ACL> acl) {
        StringBuilder sb = new StringBuilder("[");
        for (ACL a : acl) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append(a.getId().getScheme()).append(':').append(a.getId().getId()).append(':').append(perms(a.getPerms()));
        }
        return sb.append(']').toString();
    }

    // The letters zkCli prints, in its order.
    static String perms(int perms) {
        StringBuilder sb = new StringBuilder();
        if ((perms & 4) != 0) {
            sb.append('c');
        }
        if ((perms & 8) != 0) {
            sb.append('d');
        }
        if ((perms & 1) != 0) {
            sb.append('r');
        }
        if ((perms & 2) != 0) {
            sb.append('w');
        }
        if ((perms & 16) != 0) {
            sb.append('a');
        }
        return sb.toString();
    }

    static String stat(Stat s) {
        return "czxid=0x" + Long.toHexString(s.getCzxid())
            + " mzxid=0x" + Long.toHexString(s.getMzxid())
            + " pzxid=0x" + Long.toHexString(s.getPzxid())
            + " ctime=" + s.getCtime()
            + " mtime=" + s.getMtime()
            + " version=" + s.getVersion()
            + " cversion=" + s.getCversion()
            + " aversion=" + s.getAversion()
            + " ephemeralOwner=0x" + Long.toHexString(s.getEphemeralOwner())
            + " dataLength=" + s.getDataLength()
            + " numChildren=" + s.getNumChildren();
    }
}
