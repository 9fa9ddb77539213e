package io.meshdns.discovery;

/** A cluster cannot be set up from its spec: the message names the cluster, the file and what is wrong. */
public final class ClusterConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ClusterConfigException(String message) {
    super(message);
  }

  public ClusterConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
