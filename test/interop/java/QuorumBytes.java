// Quorum byte oracle for test/interop/quorum-bytes.test.ts: Apache ZooKeeper's own classes produce and
// parse the bytes of the election and learner protocols, so the test can hold src/jute/quorum.ts to them.
//
// Reads commands from stdin, one a line, fields separated by tabs; byte strings and texts travel as hex
// ("-" is null). Answers every command with one line: "ok" plus tab-separated fields, or "error <message>".
//
//   packet <type> <zxid> <data> <auth>   QuorumPacket through BinaryOutputArchive        -> ok <bytes>
//   parsepacket <bytes>                  QuorumPacket through BinaryInputArchive (the
//                                        learner's default bounds)                      -> ok <type> <zxid> <data> <auth> <unread>
//   learnerinfo <sid> <protocol> <cfgv>  LearnerInfo through BinaryOutputArchive         -> ok <bytes>
//   parselearnerinfo <bytes>             LearnerInfo through BinaryInputArchive          -> ok <sid> <protocol> <cfgv>
//   quorummaj <text>                     Properties.load(text), new QuorumMaj(props)     -> ok <toString>
//   dynamicconfig <text>                 what QuorumPeer.configFromString does with a
//                                        notification's config: Properties.load, then
//                                        QuorumPeerConfig.parseDynamicConfig            -> ok <toString> <version>
//   notification <state> <leader> <zxid> <electionEpoch> <peerEpoch> <config>
//                                        FastLeaderElection.buildMsg, 6 arguments        -> ok <bytes>
//   notification40 <state> <leader> <zxid> <electionEpoch> <peerEpoch>
//                                        FastLeaderElection.buildMsg, 5 arguments        -> ok <bytes>
//   header <sid> <host> <port>           the initial message as startConnection writes it -> ok <bytes>
//   parseheader <bytes>                  handleConnection's readLong, then
//                                        QuorumCnxManager.InitialMessage.parse           -> ok <sid> <host:port list joined by |>
//
// auth is "-" (null) or comma-separated hex(scheme)/hex(id) pairs, "" for an empty list.
// buildMsg is package-private: it is called by reflection (setAccessible), not re-implemented.

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.StringReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.common.NetUtils;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.quorum.FastLeaderElection;
import org.apache.zookeeper.server.quorum.LearnerInfo;
import org.apache.zookeeper.server.quorum.QuorumCnxManager;
import org.apache.zookeeper.server.quorum.QuorumPacket;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.apache.zookeeper.server.quorum.flexible.QuorumMaj;
import org.apache.zookeeper.server.quorum.flexible.QuorumVerifier;

public final class QuorumBytes {
    /** QuorumPeerConfig's only election algorithm. */
    private static final int ELECTION_ALG = 3;

    private static Method buildMsg6;
    private static Method buildMsg5;

    private QuorumBytes() {
    }

    public static void main(String[] args) throws Exception {
        buildMsg6 = FastLeaderElection.class.getDeclaredMethod("buildMsg",
            int.class, long.class, long.class, long.class, long.class, byte[].class);
        buildMsg6.setAccessible(true);
        buildMsg5 = FastLeaderElection.class.getDeclaredMethod("buildMsg",
            int.class, long.class, long.class, long.class, long.class);
        buildMsg5.setAccessible(true);

        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            String answer;
            try {
                answer = "ok\t" + String.join("\t", answer(line.split("\t", -1)));
            } catch (Exception e) {
                Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
                answer = "error " + cause.getClass().getSimpleName() + ": " + String.valueOf(cause.getMessage()).replace('\n', ' ');
            }
            out.println(answer);
        }
        out.flush();
    }

    private static List<String> answer(String[] f) throws Exception {
        List<String> r = new ArrayList<>();
        switch (f[0]) {
        case "packet": {
            QuorumPacket qp = new QuorumPacket(Integer.parseInt(f[1]), Long.parseLong(f[2]), unhex(f[3]), ids(f[4]));
            r.add(hex(serialize(qp)));
            break;
        }
        case "parsepacket": {
            ByteArrayInputStream bytes = new ByteArrayInputStream(unhex(f[1]));
            QuorumPacket qp = new QuorumPacket();
            qp.deserialize(BinaryInputArchive.getArchive(bytes), "packet");
            r.add(Integer.toString(qp.getType()));
            r.add(Long.toString(qp.getZxid()));
            r.add(hex(qp.getData()));
            r.add(ids(qp.getAuthinfo()));
            r.add(Integer.toString(bytes.available()));
            break;
        }
        case "learnerinfo":
            r.add(hex(serialize(new LearnerInfo(Long.parseLong(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3])))));
            break;
        case "parselearnerinfo": {
            LearnerInfo li = new LearnerInfo();
            li.deserialize(BinaryInputArchive.getArchive(new ByteArrayInputStream(unhex(f[1]))), "learnerinfo");
            r.add(Long.toString(li.getServerid()));
            r.add(Integer.toString(li.getProtocolVersion()));
            r.add(Long.toString(li.getConfigVersion()));
            break;
        }
        case "quorummaj":
            r.add(hex(new QuorumMaj(properties(f[1])).toString().getBytes(StandardCharsets.UTF_8)));
            break;
        case "dynamicconfig": {
            QuorumVerifier qv = QuorumPeerConfig.parseDynamicConfig(properties(f[1]), ELECTION_ALG, false, false, null);
            r.add(hex(qv.toString().getBytes(StandardCharsets.UTF_8)));
            r.add(Long.toString(qv.getVersion()));
            break;
        }
        case "notification":
            r.add(hex(((ByteBuffer) buildMsg6.invoke(null, Integer.parseInt(f[1]), Long.parseLong(f[2]),
                Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]), unhex(f[6]))).array()));
            break;
        case "notification40":
            r.add(hex(((ByteBuffer) buildMsg5.invoke(null, Integer.parseInt(f[1]), Long.parseLong(f[2]),
                Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]))).array()));
            break;
        case "header": {
            // startConnection's writes, one for one (QuorumCnxManager needs a live QuorumPeer to run it),
            // the address formatted by this jar's NetUtils.formatInetAddr.
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream dout = new DataOutputStream(bytes);
            dout.writeLong(QuorumCnxManager.PROTOCOL_VERSION_V1);
            dout.writeLong(Long.parseLong(f[1]));
            byte[] addr = NetUtils.formatInetAddr(new InetSocketAddress(f[2], Integer.parseInt(f[3])))
                .getBytes(StandardCharsets.UTF_8);
            dout.writeInt(addr.length);
            dout.write(addr);
            dout.flush();
            r.add(hex(bytes.toByteArray()));
            break;
        }
        case "parseheader": {
            DataInputStream din = new DataInputStream(new ByteArrayInputStream(unhex(f[1])));
            long version = din.readLong();
            if (version >= 0) {
                r.add(Long.toString(version));
                r.add("");
            } else {
                QuorumCnxManager.InitialMessage init = QuorumCnxManager.InitialMessage.parse(version, din);
                r.add(Long.toString(init.sid));
                List<String> addrs = new ArrayList<>();
                for (InetSocketAddress a : init.electionAddr) {
                    // The host as parsed (not NetUtils.formatInetAddr, whose output changed in 3.8.2).
                    String host = a.getHostString();
                    addrs.add((host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
                }
                r.add(String.join("|", addrs));
            }
            break;
        }
        default:
            throw new IllegalArgumentException("unknown command " + f[0]);
        }
        return r;
    }

    private static byte[] serialize(Record record) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        record.serialize(BinaryOutputArchive.getArchive(bytes), "record");
        return bytes.toByteArray();
    }

    private static Properties properties(String textHex) throws Exception {
        Properties props = new Properties();
        props.load(new StringReader(new String(unhex(textHex), StandardCharsets.UTF_8)));
        return props;
    }

    private static List<Id> ids(String field) {
        if (field.equals("-")) {
            return null;
        }
        List<Id> ids = new ArrayList<>();
        if (field.isEmpty()) {
            return ids;
        }
        for (String pair : field.split(",")) {
            String[] p = pair.split("/", -1);
            ids.add(new Id(new String(unhex(p[0]), StandardCharsets.UTF_8), new String(unhex(p[1]), StandardCharsets.UTF_8)));
        }
        return ids;
    }

    private static String ids(List<Id> ids) {
        if (ids == null) {
            return "-";
        }
        List<String> pairs = new ArrayList<>();
        for (Id id : ids) {
            pairs.add(hex(id.getScheme().getBytes(StandardCharsets.UTF_8)) + "/" + hex(id.getId().getBytes(StandardCharsets.UTF_8)));
        }
        return String.join(",", pairs);
    }

    private static String hex(byte[] b) {
        if (b == null) {
            return "-";
        }
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }

    private static byte[] unhex(String s) {
        if (s.equals("-")) {
            return null;
        }
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
