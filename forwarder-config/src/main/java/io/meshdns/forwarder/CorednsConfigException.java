package io.meshdns.forwarder;

/** One cluster's CoreDNS configuration could not be read or written; the message names the cluster and the object. */
public final class CorednsConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why, for the report and the exit code. */
    public enum Reason {
        NOT_FOUND,
        FORBIDDEN,
        UNREACHABLE,
        CONFLICT,
        REFUSED,
        FAILED
    }

    private final Reason reason;

    public CorednsConfigException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public CorednsConfigException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
