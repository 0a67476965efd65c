// Interop driver: runs one scripted session with Apache ZooKeeper's own Java client against host:port
// and prints one normalized line per step, so runs against two equivalent servers print identical text.

public final class ZkInterop {
    private ZkInterop() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ZkInterop host:port");
            System.exit(2);
        }
        Driver driver = new Driver(args[0], System.out);
        try {
            Session a = driver.open();
            Session b = driver.open();
            CoreSteps core = new CoreSteps(driver);
            core.basics(a);
            core.sequentialAndModes(a);
            core.errors(a);
            new AclSteps(driver).acls(a, b);
            core.multi(a);
            WatchSteps watches = new WatchSteps(driver);
            watches.watches(a, b);
            watches.sessionLifecycle(a, b);
            driver.println("done");
        } finally {
            driver.closeAll();
        }
        System.out.flush();
        // Explicit, so no client thread left behind by a failed session keeps the JVM up until the harness kills it.
        System.exit(0);
    }
}
