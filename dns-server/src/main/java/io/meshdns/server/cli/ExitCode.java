package io.meshdns.server.cli;

/** The exit codes every meshdns command gives: 0 done, 1 runtime failure, 2 bad usage, config or input. */
public final class ExitCode {
    /** A runtime failure (for {@code coredns-config}: a cluster failed). */
    public static final int FAILED = 1;
    /** Bad usage, config or input: the one exit code every command gives for what the user must fix. */
    public static final int BAD_INPUT = 2;

    private ExitCode() {}
}
