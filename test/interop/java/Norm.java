// Renders ZooKeeper client results as text with volatile fields replaced, so that runs against two
// equivalent servers print the same bytes: zxids are named after the step that first showed them
// (z<step>.<n>), session ids become S1, S2… in order of first appearance, wall-clock times become T
// (after a sanity check that they are recent).

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Stat;

final class Norm {
    private final Map<Long, String> zxids = new HashMap<>();
    private final Map<Long, String> sessions = new HashMap<>();
    // Times outside this window are printed raw: a server that stamps 0 or seconds must not pass as T.
    private final long earliestMs = System.currentTimeMillis() - 10 * 60_000L;

    String session(long sessionId) {
        return sessions.computeIfAbsent(sessionId, id -> "S" + (sessions.size() + 1));
    }

    // Anchoring names to steps rather than numbering them globally keeps one missing or extra
    // transaction from renaming every zxid after it, so a diff stays local to the step that differs.
    private int step;
    private int newInStep;

    void beginStep(int stepNumber) {
        step = stepNumber;
        newInStep = 0;
    }

    String zxid(long zxid) {
        if (zxid == 0) {
            return "0";
        }
        return zxids.computeIfAbsent(zxid, z -> "z" + step + "." + (++newInStep));
    }

    private String time(long ms) {
        if (ms == 0) {
            return "0";
        }
        boolean plausible = ms >= earliestMs && ms <= System.currentTimeMillis() + 10 * 60_000L;
        return plausible ? "T" : "BADTIME(" + ms + ")";
    }

    // Only ids of sessions this driver opened are mapped; containers and TTL nodes carry flag bits
    // in ephemeralOwner that must compare exactly.
    String owner(long ephemeralOwner) {
        if (ephemeralOwner == 0) {
            return "0";
        }
        String known = sessions.get(ephemeralOwner);
        return known != null ? known : "0x" + Long.toHexString(ephemeralOwner);
    }

    String stat(Stat s) {
        if (s == null) {
            return "null";
        }
        return "stat{czxid=" + zxid(s.getCzxid())
            + " mzxid=" + zxid(s.getMzxid())
            + " pzxid=" + zxid(s.getPzxid())
            + " ctime=" + time(s.getCtime())
            + " mtime=" + time(s.getMtime())
            + " version=" + s.getVersion()
            + " cversion=" + s.getCversion()
            + " aversion=" + s.getAversion()
            + " ephemeralOwner=" + owner(s.getEphemeralOwner())
            + " dataLength=" + s.getDataLength()
            + " numChildren=" + s.getNumChildren()
            + "}";
    }

    static String data(byte[] data) {
        if (data == null) {
            return "null";
        }
        if (data.length > 64) {
            return "<" + data.length + " bytes crc32=" + Long.toHexString(crc32(data)) + ">";
        }
        return "'" + new String(data, StandardCharsets.UTF_8) + "'";
    }

    static long crc32(byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(data);
        return crc.getValue();
    }

    // As the server lists them: zk-server lists a node's children in ZooKeeper's HashSet order.
    static String children(List<String> children) {
        return children == null ? "null" : children.toString();
    }

    // Ephemerals come in the order of the server's per-session sets, which zk-server does not
    // reproduce and clients may not rely on: sorted.
    static String ephemerals(List<String> paths) {
        if (paths == null) {
            return "null";
        }
        List<String> sorted = new ArrayList<>(paths);
        Collections.sort(sorted);
        return sorted.toString();
    }

    static String acls(List<ACL> acls) {
        if (acls == null) {
            return "null";
        }
        List<String> out = new ArrayList<>();
        for (ACL acl : acls) {
            out.add(acl.getId().getScheme() + ":" + acl.getId().getId() + "(" + perms(acl.getPerms()) + ")");
        }
        return out.toString();
    }

    static String perms(int perms) {
        StringBuilder sb = new StringBuilder();
        String letters = "rwcda";
        for (int bit = 0; bit < letters.length(); bit++) {
            if ((perms & (1 << bit)) != 0) {
                sb.append(letters.charAt(bit));
            }
        }
        int unknown = perms & ~0x1f;
        if (unknown != 0) {
            sb.append("+0x").append(Integer.toHexString(unknown));
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    static String clientInfos(List<ClientInfo> infos) {
        if (infos == null) {
            return "null";
        }
        List<String> out = new ArrayList<>();
        for (ClientInfo info : infos) {
            out.add(info.getAuthScheme() + ":" + info.getUser());
        }
        Collections.sort(out);
        return out.toString();
    }

    static String error(KeeperException e) {
        return "ERR " + e.code() + (e.getPath() != null ? " path=" + e.getPath() : "");
    }

    static String errorCode(int code) {
        KeeperException.Code c = KeeperException.Code.get(code);
        return c != null ? c.name() : Integer.toString(code);
    }

    String results(List<OpResult> results) {
        if (results == null) {
            return "null";
        }
        List<String> out = new ArrayList<>();
        for (OpResult r : results) {
            out.add(result(r));
        }
        return out.toString();
    }

    private String result(OpResult r) {
        if (r instanceof OpResult.CreateResult) {
            OpResult.CreateResult c = (OpResult.CreateResult) r;
            return "create(" + c.getPath() + (c.getStat() != null ? " " + stat(c.getStat()) : "") + ")";
        }
        if (r instanceof OpResult.SetDataResult) {
            return "setData(" + stat(((OpResult.SetDataResult) r).getStat()) + ")";
        }
        if (r instanceof OpResult.DeleteResult) {
            return "delete()";
        }
        if (r instanceof OpResult.CheckResult) {
            return "check()";
        }
        if (r instanceof OpResult.GetDataResult) {
            OpResult.GetDataResult g = (OpResult.GetDataResult) r;
            return "getData(" + data(g.getData()) + " " + stat(g.getStat()) + ")";
        }
        if (r instanceof OpResult.GetChildrenResult) {
            return "getChildren(" + children(((OpResult.GetChildrenResult) r).getChildren()) + ")";
        }
        if (r instanceof OpResult.ErrorResult) {
            return "error(" + errorCode(((OpResult.ErrorResult) r).getErr()) + ")";
        }
        return "unknown(type=" + r.getType() + ")";
    }
}
