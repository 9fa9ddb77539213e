package io.meshdns.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} pairs of a benchmark's command line; an unknown or malformed one is a clear error. */
final class Options {
    private final Map<String, String> values = new HashMap<>();

    Options(String[] args, String usage, String... names) {
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!java.util.List.of(names).contains(name) || i + 1 == args.length) {
                throw new IllegalArgumentException(
                        (i + 1 == args.length && java.util.List.of(names).contains(name)
                                        ? name + " needs a value"
                                        : "unknown option " + name)
                                + "; usage: " + usage);
            }
            values.put(name, args[++i]);
        }
    }

    int integer(String name, int fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, was '" + v + "'");
        }
    }

    /** The value of {@code name} as given, or {@code fallback}. */
    String text(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /** Whether {@code name} was given. */
    boolean given(String name) {
        return values.containsKey(name);
    }

    /** The value of {@code name}, which must be one of {@code allowed}; the first when it is not given. */
    String oneOf(String name, String... allowed) {
        String v = values.getOrDefault(name, allowed[0]);
        if (!java.util.List.of(allowed).contains(v)) {
            throw new IllegalArgumentException(
                    name + " must be one of " + String.join(", ", allowed) + ", was '" + v + "'");
        }
        return v;
    }

    /** A benchmark main's body: returns its exit code (2 for bad options). */
    interface Body {
        int run() throws Exception;
    }

    /**
     * Runs a benchmark main and exits with its code, or 1 when it throws; exiting is what stops the mock
     * servers' and clients' threads, which would otherwise keep the JVM alive.
     */
    static void runAndExit(String name, Body body) {
        int code;
        try {
            code = body.run();
        } catch (Exception e) {
            System.err.println(name + ": failed: " + e);
            e.printStackTrace();
            code = 1;
        }
        System.exit(code);
    }
}
