package io.meshdns.forwarder;

/**
 * A Corefile that meshdns cannot parse, or will not modify, and why. The message names the source
 * (file or ConfigMap key) and the line.
 */
public final class CorefileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CorefileException(String message) {
        super(message);
    }

    static CorefileException at(String source, int line, String what) {
        return new CorefileException(source + ", line " + line + ": " + what);
    }
}
