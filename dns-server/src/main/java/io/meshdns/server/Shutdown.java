package io.meshdns.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * Stops {@code serve} and {@code demo} when the JVM is asked to (Ctrl-C, SIGTERM): closes what has started,
 * newest first, and lets the JVM exit after {@link #BUDGET} even if something is still closing. Without the
 * bound, one slow close (fabric8's mock API server can wait 10 s and fail while it streams watch events)
 * would keep the process alive, and a Kubernetes pod would be killed at the end of its grace period instead.
 * Libraries may register shutdown hooks of their own, which the JVM also waits for: if the process is still
 * there {@link #HALT_AFTER} after the signal, it halts (exit code 143, as for SIGTERM).
 */
final class Shutdown {
    /** How long closing may take before the JVM exits anyway. */
    static final Duration BUDGET = Duration.ofMillis(1000);
    /**
     * When the JVM is halted if it has not exited by itself: early enough that the process is gone within
     * 2 s of the signal even when tearing down a large heap takes the system a few hundred milliseconds
     * (measured with the 200,000-endpoint demo: 1.7-2.3 s in all when this was 1.6 s).
     */
    static final Duration HALT_AFTER = Duration.ofMillis(1300);

    private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread hook = new Thread(this::stop, "meshdns-shutdown");
    private volatile AutoCloseable closing;

    private Shutdown() {}

    /** Registers the shutdown hook; resources added later are closed by it. */
    static Shutdown install() {
        Shutdown s = new Shutdown();
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    /** When starting failed: closes what was added, newest first, and unregisters the hook. */
    void cancel() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            return; // the JVM is already shutting down: the hook does the closing
        }
        closeAll(resources.toArray(AutoCloseable[]::new)); // closeAll goes from the last to the first
    }

    /** Closes {@code resource} at shutdown, before everything added earlier. */
    <T extends AutoCloseable> T add(T resource) {
        resources.add(resource);
        return resource;
    }

    /** Blocks until the shutdown hook has run (the JVM exits right after). */
    void await() throws InterruptedException {
        stopped.await();
    }

    /** Closes each of {@code resources}, the last first; a failure is reported and the rest still closed. */
    static void closeAll(AutoCloseable... resources) {
        for (int i = resources.length - 1; i >= 0; i--) {
            try {
                resources[i].close();
            } catch (Exception e) {
                System.err.println("meshdns: while stopping: " + e);
            }
        }
    }

    private void stop() {
        Thread halt = new Thread(
                () -> {
                    try {
                        Thread.sleep(HALT_AFTER.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                    System.err.println(
                            "meshdns: halting: still not stopped " + HALT_AFTER.toMillis() + " ms after the signal");
                    Runtime.getRuntime().halt(143);
                },
                "meshdns-halt");
        halt.setDaemon(true);
        halt.start();
        List<AutoCloseable> newestFirst = new ArrayList<>(resources);
        java.util.Collections.reverse(newestFirst);
        Thread closer = new Thread(
                () -> {
                    for (AutoCloseable r : newestFirst) {
                        closing = r;
                        closeAll(r);
                    }
                    closing = null;
                },
                "meshdns-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(BUDGET.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        AutoCloseable still = closing;
        if (closer.isAlive() && still != null) {
            System.err.println("meshdns: stopping without waiting longer for "
                    + still.getClass().getSimpleName() + " to close (more than " + BUDGET.toMillis() + " ms)");
        }
        stopped.countDown();
    }
}
