// Interop driver steps for watches (one-shot, persistent, recursive, removal) and session lifecycle
// (ephemerals vanishing for other sessions, auth failure).

import java.util.Arrays;
import java.util.List;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;

final class WatchSteps extends Steps {
    WatchSteps(Driver driver) {
        super(driver);
    }

    void watches(Session a, Session b) throws Exception {
        String w = ROOT + "/w";
        step("create " + w, () -> a.zk.create(w, b("w0"), OPEN, CreateMode.PERSISTENT));
        step("getData watch wd1", () -> getData(a, w, a.watcher("wd1")));
        step("setData fires wd1", () -> norm.stat(a.zk.setData(w, b("w1"), -1)));
        step("setData again fires nothing", () -> norm.stat(a.zk.setData(w, b("w2"), -1)));
        step("exists watch we1 on missing", () -> norm.stat(a.zk.exists(w + "/k", a.watcher("we1"))));
        step("getChildren watch wc1", () -> Norm.children(a.zk.getChildren(w, a.watcher("wc1"))));
        step("create fires we1 and wc1", () -> a.zk.create(w + "/k", null, OPEN, CreateMode.PERSISTENT));
        step("getData watch wd2", () -> getData(a, w + "/k", a.watcher("wd2")));
        step("exists watch we2", () -> norm.stat(a.zk.exists(w + "/k", a.watcher("we2"))));
        step("getChildren watch wc2", () -> Norm.children(a.zk.getChildren(w + "/k", a.watcher("wc2"))));
        step("getChildren watch wc3 on parent", () -> Norm.children(a.zk.getChildren(w, a.watcher("wc3"))));
        step("delete fires wd2 we2 wc2 wc3", () -> {
            a.zk.delete(w + "/k", -1);
            return "ok";
        });
        Watcher shared = a.watcher("wshared");
        step("getData watch wshared", () -> getData(a, w, shared));
        step("exists watch wshared", () -> norm.stat(a.zk.exists(w, shared)));
        step("setData fires wshared once", () -> norm.stat(a.zk.setData(w, b("w3"), -1)));
        step("exists watch we3 on existing", () -> norm.stat(a.zk.exists(w, a.watcher("we3"))));
        step("S2 setData fires we3", () -> norm.stat(b.zk.setData(w, b("w3"), -1)));
        step("getData default watch", () -> {
            Stat stat = new Stat();
            return Norm.data(a.zk.getData(w, true, stat)) + " " + norm.stat(stat);
        });
        step("exists default watch on missing", () -> norm.stat(a.zk.exists(w + "/d", true)));
        step("S2 setData fires default on S1", () -> norm.stat(b.zk.setData(w, b("w4"), -1)));
        step("S2 create fires default on S1", () -> b.zk.create(w + "/d", null, OPEN, CreateMode.PERSISTENT));
        step("getData watch wd3", () -> getData(a, w, a.watcher("wd3")));
        step("multi fires wd3", () -> norm.results(a.zk.multi(Arrays.asList(
            Op.setData(w, b("w5"), -1), Op.setData(w, b("w6"), -1)))));

        Watcher wd4 = a.watcher("wd4");
        step("getData watch wd4", () -> getData(a, w, wd4));
        step("removeWatches wd4 Data", () -> {
            a.zk.removeWatches(w, wd4, Watcher.WatcherType.Data, false);
            return "ok";
        });
        step("removeWatches wd4 again", () -> {
            a.zk.removeWatches(w, wd4, Watcher.WatcherType.Data, false);
            return "ok";
        });
        step("setData after removal fires nothing", () -> norm.stat(a.zk.setData(w, b("w7"), -1)));
        step("getChildren watch wc4", () -> Norm.children(a.zk.getChildren(w, a.watcher("wc4"))));
        step("getData watch wd5", () -> getData(a, w, a.watcher("wd5")));
        step("removeAllWatches Children", () -> {
            a.zk.removeAllWatches(w, Watcher.WatcherType.Children, false);
            return "ok";
        });
        step("removeAllWatches Any", () -> {
            a.zk.removeAllWatches(w, Watcher.WatcherType.Any, false);
            return "ok";
        });
        step("removeAllWatches none left", () -> {
            a.zk.removeAllWatches(w, Watcher.WatcherType.Any, false);
            return "ok";
        });

        String pw = ROOT + "/pw";
        Watcher wp = a.watcher("wp");
        step("create " + pw, () -> a.zk.create(pw, null, OPEN, CreateMode.PERSISTENT));
        step("addWatch PERSISTENT wp", () -> {
            a.zk.addWatch(pw, wp, AddWatchMode.PERSISTENT);
            return "ok";
        });
        step("setData fires wp", () -> norm.stat(a.zk.setData(pw, b("1"), -1)));
        step("setData fires wp again", () -> norm.stat(a.zk.setData(pw, b("2"), -1)));
        step("create child fires wp", () -> a.zk.create(pw + "/a", null, OPEN, CreateMode.PERSISTENT));
        step("create grandchild fires nothing", () -> a.zk.create(pw + "/a/b", null, OPEN, CreateMode.PERSISTENT));
        step("S2 delete grandchild", () -> {
            b.zk.delete(pw + "/a/b", -1);
            return "ok";
        });
        step("S2 delete child fires wp", () -> {
            b.zk.delete(pw + "/a", -1);
            return "ok";
        });
        step("removeWatches wp Any", () -> {
            a.zk.removeWatches(pw, wp, Watcher.WatcherType.Any, false);
            return "ok";
        });
        step("setData after wp removal", () -> norm.stat(a.zk.setData(pw, b("3"), -1)));

        String rw = ROOT + "/rw";
        Watcher wr = a.watcher("wr");
        step("addWatch PERSISTENT_RECURSIVE wr on missing", () -> {
            a.zk.addWatch(rw, wr, AddWatchMode.PERSISTENT_RECURSIVE);
            return "ok";
        });
        step("create fires wr", () -> a.zk.create(rw, null, OPEN, CreateMode.PERSISTENT));
        step("create child fires wr", () -> a.zk.create(rw + "/a", null, OPEN, CreateMode.PERSISTENT));
        step("create grandchild fires wr", () -> a.zk.create(rw + "/a/b", b("x"), OPEN, CreateMode.PERSISTENT));
        step("getChildren watch wc5 with recursive", () -> Norm.children(a.zk.getChildren(rw + "/a", a.watcher("wc5"))));
        step("S2 setData grandchild fires wr", () -> norm.stat(b.zk.setData(rw + "/a/b", b("y"), -1)));
        step("S2 delete grandchild fires wr and wc5", () -> {
            b.zk.delete(rw + "/a/b", -1);
            return "ok";
        });
        step("addWatch PERSISTENT default watcher", () -> {
            a.zk.addWatch(rw + "/a", AddWatchMode.PERSISTENT);
            return "ok";
        });
        step("setData fires wr and default", () -> norm.stat(a.zk.setData(rw + "/a", b("z"), -1)));
        step("removeAllWatches Any on recursive", () -> {
            a.zk.removeAllWatches(rw, Watcher.WatcherType.Any, false);
            return "ok";
        });
        step("create after recursive removal", () -> a.zk.create(rw + "/a/c", null, OPEN, CreateMode.PERSISTENT));
    }

    void sessionLifecycle(Session a, Session b) throws Exception {
        step("S2 getEphemerals", () -> Norm.ephemerals(b.zk.getEphemerals()));
        step("S2 exists watch ws on S1 ephemeral", () -> norm.stat(b.zk.exists(ROOT + "/e", b.watcher("ws"))));
        step("S2 getChildren watch wsc on seq", () -> Norm.children(b.zk.getChildren(ROOT + "/seq", b.watcher("wsc"))));
        step("S2 exists watch wst on ttl child", () -> norm.stat(b.zk.exists(ROOT + "/ttl/eph", b.watcher("wst"))));
        Session c = open();
        step("S3 create ephemeral", () -> createWithStat(c, ROOT + "/e3", null, OPEN, CreateMode.EPHEMERAL, 0));
        step("S3 getEphemerals", () -> Norm.ephemerals(c.zk.getEphemerals()));
        step("S1 getEphemerals " + ROOT, () -> Norm.ephemerals(a.zk.getEphemerals(ROOT)));
        step("S1 close", () -> {
            a.close();
            return "ok";
        }, false);
        step("S2 exists S1 ephemeral", () -> norm.stat(b.zk.exists(ROOT + "/e", false)));
        step("S2 getChildren seq", () -> Norm.children(b.zk.getChildren(ROOT + "/seq", false)));
        step("S2 getChildren2 " + ROOT, () -> {
            Stat stat = new Stat();
            return Norm.children(b.zk.getChildren(ROOT, false, stat)) + " " + norm.stat(stat);
        });
        step("S2 getAllChildrenNumber " + ROOT, () -> Integer.toString(b.zk.getAllChildrenNumber(ROOT)));
        step("S3 exists own ephemeral", () -> norm.stat(c.zk.exists(ROOT + "/e3", false)));
        step("S3 close", () -> {
            c.close();
            return "ok";
        });
        step("S2 exists S3 ephemeral", () -> norm.stat(b.zk.exists(ROOT + "/e3", false)));
        Session d = open();
        step("S4 addAuthInfo unknown scheme", () -> {
            d.zk.addAuthInfo("nosuchscheme", b("x"));
            return d.awaitAuthFailed() ? "AuthFailed" : "no AuthFailed event";
        });
        step("S4 exists after auth failure", () -> norm.stat(d.zk.exists("/", false)));
        step("S2 close", () -> {
            b.close();
            return "ok";
        });
    }
}
