// One client session of the interop driver: the ZooKeeper handle, named watchers whose deliveries are
// recorded, and a barrier that makes "all events caused so far" a deterministic set to print.

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

final class Session {
    private static final int SESSION_TIMEOUT_MS = 30_000;
    private static final long WAIT_MS = 20_000;

    final String label;
    final ZooKeeper zk;
    private final List<Delivery> deliveries = new ArrayList<>();
    private final CountDownLatch connected = new CountDownLatch(1);
    private volatile CountDownLatch authFailed = new CountDownLatch(1);

    private static final class Delivery {
        final WatchedEvent event;
        final String watcher;

        Delivery(WatchedEvent event, String watcher) {
            this.event = event;
            this.watcher = watcher;
        }
    }

    Session(String hostPort, Norm norm) throws Exception {
        this.zk = new ZooKeeper(hostPort, SESSION_TIMEOUT_MS, this::onDefault);
        if (!connected.await(WAIT_MS, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("no SyncConnected within " + WAIT_MS + " ms");
        }
        this.label = norm.session(zk.getSessionId());
    }

    private void onDefault(WatchedEvent event) {
        if (event.getType() == Watcher.Event.EventType.None) {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            } else if (event.getState() == Watcher.Event.KeeperState.AuthFailed) {
                authFailed.countDown();
            }
        }
        record(event, "default");
    }

    Watcher watcher(String name) {
        return event -> record(event, name);
    }

    private void record(WatchedEvent event, String watcher) {
        if (event.getType() == Watcher.Event.EventType.None) {
            switch (event.getState()) {
                case SyncConnected:
                case Disconnected:
                case Closed:
                    // Client-local connection transitions, delivered to every watcher still registered;
                    // their timing follows socket teardown, not the server's answers.
                    return;
                default:
                    break;
            }
        }
        synchronized (deliveries) {
            deliveries.add(new Delivery(event, watcher));
        }
    }

    boolean alive() {
        return zk.getState().isAlive();
    }

    boolean awaitAuthFailed() throws InterruptedException {
        return authFailed.await(WAIT_MS, TimeUnit.MILLISECONDS);
    }

    // The server sends a notification before the reply to anything issued after the change, and the
    // client's event thread runs watchers and async callbacks in arrival order. So once the callback of
    // a read issued now has run, every event caused by earlier steps has been delivered.
    void barrier() throws InterruptedException {
        if (!alive()) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        zk.exists("/", false, (rc, path, ctx, stat) -> done.countDown(), null);
        if (!done.await(WAIT_MS, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(label + ": barrier timed out");
        }
    }

    // One server notification reaches every watcher registered for it as the same event object, in
    // the client's hash-set order; sorting within such a run keeps the text independent of that order.
    List<String> drainEvents() {
        List<Delivery> taken;
        synchronized (deliveries) {
            taken = new ArrayList<>(deliveries);
            deliveries.clear();
        }
        List<String> lines = new ArrayList<>();
        int i = 0;
        while (i < taken.size()) {
            WatchedEvent event = taken.get(i).event;
            List<String> watchers = new ArrayList<>();
            while (i < taken.size() && taken.get(i).event == event) {
                watchers.add(taken.get(i).watcher);
                i++;
            }
            Collections.sort(watchers);
            lines.add("event " + label + " " + event.getType() + " " + event.getPath()
                + " state=" + event.getState() + " watchers=" + watchers);
        }
        return lines;
    }

    void close() throws InterruptedException {
        zk.close();
    }
}
