package io.meshdns.core;

/**
 * The configuration cannot be used. The message says where: the file, line and key of a config file, or
 * the cluster and kubeconfig file a cluster's settings point to.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
