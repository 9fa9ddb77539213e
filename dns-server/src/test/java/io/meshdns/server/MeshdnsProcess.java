package io.meshdns.server;

import java.util.ArrayList;
import java.util.List;

/**
 * The command line that runs meshdns's {@link Main} in a JVM of its own, on this test's java and class path,
 * with the JVM options the {@code meshdns} launcher (dns-server/src/main/sh/meshdns) adds for the running
 * release: without them Java 24+ prints warnings for Netty's native transport and Unsafe, which are not
 * meshdns's output, and {@code auto} cannot choose the ffm UDP transport.
 */
final class MeshdnsProcess {
    private MeshdnsProcess() {}

    static List<String> command(String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        int feature = Runtime.version().feature();
        if (feature >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        if (feature >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(arguments));
        return command;
    }
}
