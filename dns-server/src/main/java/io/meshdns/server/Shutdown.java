package io.meshdns.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * Stops {@code serve} and {@code demo} when the JVM is asked to (Ctrl-C, SIGTERM): closes what has started,
 * newest first, and lets the JVM exit after {@link #BUDGET} even if something is still closing. Without the
 * bound, one slow close (fabric8's mock API server waits on its open watches for 10 s or more) would keep
 * the process alive, and a Kubernetes pod would be killed at the end of its grace period instead.
 */
final class Shutdown {
  /** How long closing may take before the JVM exits anyway. */
  static final Duration BUDGET = Duration.ofMillis(1000);

  private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile AutoCloseable closing;

  private Shutdown() {}

  /** Registers the shutdown hook; resources added later are closed by it. */
  static Shutdown install() {
    Shutdown s = new Shutdown();
    Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "meshdns-shutdown"));
    return s;
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

  private void stop() {
    List<AutoCloseable> newestFirst = new ArrayList<>(resources);
    java.util.Collections.reverse(newestFirst);
    Thread closer = new Thread(() -> {
      for (AutoCloseable r : newestFirst) {
        closing = r;
        Main.closeAll(r);
      }
      closing = null;
    }, "meshdns-close");
    closer.setDaemon(true);
    closer.start();
    try {
      closer.join(BUDGET.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    AutoCloseable still = closing;
    if (closer.isAlive() && still != null) {
      System.err.println("meshdns: stopping without waiting longer for " + still.getClass().getSimpleName()
          + " to close (more than " + BUDGET.toMillis() + " ms)");
    }
    stopped.countDown();
  }
}
