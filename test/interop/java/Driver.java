// Step runner of the interop driver: runs one client call, prints "label -> result" with KeeperExceptions
// as results, then waits until every open session has received the events the call caused and prints them.

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.zookeeper.KeeperException;

final class Driver {
    interface Action {
        String run() throws Exception;
    }

    // Every step takes milliseconds on a healthy server; this is far above that and below the
    // client's 10 s request timeout that the harness sets.
    private static final long SLOW_STEP_NS = 5_000_000_000L;

    final Norm norm = new Norm();
    private final String hostPort;
    private final List<Session> sessions = new ArrayList<>();
    private final PrintStream out;
    private int steps;

    Driver(String hostPort, PrintStream out) {
        this.hostPort = hostPort;
        this.out = out;
    }

    Session open() throws Exception {
        Session s = new Session(hostPort, norm);
        sessions.add(s);
        out.println("session " + s.label + " connected");
        return s;
    }

    void println(String line) {
        out.println(line);
    }

    // Unordered steps cause several notifications whose relative order the protocol leaves to the
    // server (the ephemerals of a closing session are deleted in no specified order).
    void step(String label, Action action, boolean ordered) throws Exception {
        norm.beginStep(++steps);
        long startedNs = System.nanoTime();
        String result;
        try {
            result = action.run();
        } catch (KeeperException e) {
            result = Norm.error(e) + (e.getResults() != null ? " results=" + norm.results(e.getResults()) : "");
        } catch (IllegalArgumentException e) {
            result = "CLIENT-REJECTED " + e.getMessage();
        }
        // close() swallows a request timeout, so a server that never answers closeSession shows only here.
        if (System.nanoTime() - startedNs > SLOW_STEP_NS) {
            result += " [slow: over " + SLOW_STEP_NS / 1_000_000_000L + " s]";
        }
        out.println(label + " -> " + result);
        for (Session s : sessions) {
            s.barrier();
            List<String> events = s.drainEvents();
            if (!ordered) {
                Collections.sort(events);
            }
            for (String line : events) {
                out.println("  " + line);
            }
        }
    }

    void closeAll() throws InterruptedException {
        for (Session s : sessions) {
            if (s.alive()) {
                s.close();
            }
        }
    }
}
