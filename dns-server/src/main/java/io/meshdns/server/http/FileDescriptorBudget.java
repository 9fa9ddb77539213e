package io.meshdns.server.http;

import io.meshdns.server.config.ServerConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The process's limit on open files, and the share of it the HTTP listeners may hold, so that DNS over TCP
 * and TLS, {@code /healthz}, the Kubernetes watches and the certificate reload have descriptors whatever
 * HTTP clients do.
 * <p>HotSpot raises the soft {@code RLIMIT_NOFILE} to the hard limit as it starts ({@code -XX:+MaxFDLimit},
 * on by default on Linux in JDK 17 and 25: started with {@code ulimit -Sn 1024} under a hard limit of
 * 20000, both report 20000), and Java cannot call {@code setrlimit} itself; so this reads the figure and
 * warns when the soft limit was left below the hard one ({@code -XX:-MaxFDLimit}).
 * <p>The HTTP listeners together may hold at most a quarter of the limit. Caps configured higher are
 * lowered for this run, in proportion, with a warning naming the keys, rather than refused: the limit is
 * the host's, not the config's, and the same config must start on a node with fewer descriptors (with
 * caps that fit) instead of crash-looping there.
 */
public final class FileDescriptorBudget {
    /** The HTTP listeners together may hold at most one descriptor in this many. */
    static final int HTTP_SHARE_DIVISOR = 4;
    /** Descriptors for everything but client connections: listeners, the JVM's jars, watches, reloads. */
    static final int RESERVE = 256;
    /** No limit (RLIM_INFINITY), or none known. */
    static final long UNLIMITED = Long.MAX_VALUE;

    private static final Pattern OPEN_FILES = Pattern.compile("(?m)^Max open files\\s+(\\S+)\\s+(\\S+)");

    private final long soft;
    private final long hard;

    /**
     * @param soft the limit in force (what {@code open} and {@code accept} fail at), or {@link #UNLIMITED}
     * @param hard the most the soft limit may be raised to, or {@link #UNLIMITED}
     */
    FileDescriptorBudget(long soft, long hard) {
        this.soft = soft;
        this.hard = hard;
    }

    /** This process's limits: {@code /proc/self/limits} on Linux, else the JVM's count of the soft limit. */
    public static FileDescriptorBudget ofThisProcess() {
        try {
            FileDescriptorBudget fromProc = parseProcLimits(Files.readString(Path.of("/proc/self/limits")));
            if (fromProc != null) {
                return fromProc;
            }
        } catch (IOException | RuntimeException notLinux) {
            // below
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            long max = unix.getMaxFileDescriptorCount();
            return new FileDescriptorBudget(max, max);
        }
        return new FileDescriptorBudget(UNLIMITED, UNLIMITED);
    }

    /** The {@code Max open files} line of a {@code /proc/PID/limits} text, or null when it has none. */
    static FileDescriptorBudget parseProcLimits(String text) {
        Matcher m = OPEN_FILES.matcher(text);
        if (!m.find()) {
            return null;
        }
        return new FileDescriptorBudget(limit(m.group(1)), limit(m.group(2)));
    }

    private static long limit(String value) {
        return value.equals("unlimited") ? UNLIMITED : Long.parseLong(value);
    }

    long limit() {
        return soft;
    }

    /** The most descriptors the HTTP listeners may hold together. */
    long httpShare() {
        return soft == UNLIMITED ? UNLIMITED : soft / HTTP_SHARE_DIVISOR;
    }

    /** The HTTP listeners' limits as they will run, and what to log about them at start. */
    public record Fitted(List<ServerConfig.HttpConnectionLimits> listeners, String summary, List<String> warnings) {}

    /**
     * {@code listeners}' limits with their total caps lowered in proportion where together they exceed
     * {@link #httpShare()}, each to at least 1; and the start log line saying the figures.
     *
     * @param dnsTcpConnections the DNS listeners' cap (TCP and TLS together), to warn when it leaves too few
     */
    public Fitted fit(List<ServerConfig.HttpConnectionLimits> listeners, int dnsTcpConnections) {
        List<String> warnings = new ArrayList<>();
        if (soft != UNLIMITED && soft < hard) {
            warnings.add("file descriptors: the soft limit " + soft + " is below the hard limit " + figure(hard)
                    + ": the JVM raises it at start unless run with -XX:-MaxFDLimit; the budget below is worked out from "
                    + soft);
        }
        long wanted = listeners.stream()
                .mapToLong(ServerConfig.HttpConnectionLimits::maxConnections)
                .sum();
        long share = httpShare();
        List<ServerConfig.HttpConnectionLimits> fitted = listeners;
        if (wanted > share) {
            fitted = new ArrayList<>();
            for (ServerConfig.HttpConnectionLimits l : listeners) {
                fitted.add(l.withMaxConnections((int) Math.max(1, l.maxConnections() * share / wanted)));
            }
            fitted = List.copyOf(fitted);
            warnings.add(
                    "file descriptors: " + caps(listeners) + " add up to " + wanted + ", more than a quarter of the"
                            + " limit " + soft + " (" + share
                            + "), which is all the HTTP listeners may hold so that DNS keeps its"
                            + " descriptors: lowered to " + caps(fitted)
                            + " for this run; raise the limit (ulimit -n, the service's"
                            + " LimitNOFILE, the container runtime's default) or lower the caps");
        }
        long http = fitted.stream()
                .mapToLong(ServerConfig.HttpConnectionLimits::maxConnections)
                .sum();
        if (soft != UNLIMITED && dnsTcpConnections + http + RESERVE > soft) {
            warnings.add(
                    "file descriptors: dns.maxTcpConnections (" + dnsTcpConnections + ") and the HTTP listeners' "
                            + http + " leave fewer than " + RESERVE + " of the limit " + soft
                            + " for the listeners, Kubernetes"
                            + " watches, certificate reloads and the JVM's own files: raise the limit or lower dns.maxTcpConnections");
        }
        String summary = "file descriptors: limit " + figure(soft) + ", HTTP listeners may use at most " + http + " ("
                + caps(fitted) + (share == UNLIMITED ? "" : "; their share is a quarter of the limit, " + share)
                + "), DNS over TCP and TLS at most " + dnsTcpConnections + " (dns.maxTcpConnections)";
        return new Fitted(fitted, summary, List.copyOf(warnings));
    }

    private static String caps(List<ServerConfig.HttpConnectionLimits> listeners) {
        return listeners.stream()
                .map(l -> l.section() + ".maxConnections " + l.maxConnections())
                .collect(Collectors.joining(" + "));
    }

    private static String figure(long limit) {
        return limit == UNLIMITED ? "unlimited" : Long.toString(limit);
    }
}
