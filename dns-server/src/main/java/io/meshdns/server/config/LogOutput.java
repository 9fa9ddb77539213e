package io.meshdns.server.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Where and how meshdns logs: one line per event on stderr (stdout is each command's own output), as text or as
 * JSON lines ({@link JsonLineLayout}), at the root level chosen by {@code --log-level} or the config's
 * {@code logging.level}. The levels {@code logback.xml} sets on named loggers (library noise) are left as they are.
 */
public final class LogOutput {
    /** The text format, as {@code logback.xml} writes it before the command line is read. */
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSZ} %level %logger{0} - %msg%n";

    static final String APPENDER = "STDERR";
    static final List<String> LEVELS = List.of("error", "warn", "info", "debug", "trace");

    /** How each event is written. */
    public enum Format {
        TEXT,
        JSON;

        public static Format parse(String key, String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "text" -> TEXT;
                case "json" -> JSON;
                default -> throw new InvalidValue(key, "must be text or json, was '" + value + "'");
            };
        }
    }

    private LogOutput() {}

    /** {@code value} as a level name ({@code error}, {@code warn}, {@code info}, {@code debug}, {@code trace}). */
    public static String level(String key, String value) {
        String level = value.toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(level)) {
            throw new InvalidValue(key, "must be one of " + String.join(", ", LEVELS) + "; was '" + value + "'");
        }
        return level;
    }

    /** What is wrong with the {@code --log-level} and {@code --log-format} flags (null: unset or valid), naming the flag. */
    public static String flagProblem(String level, String format) {
        try {
            if (level != null) {
                level("--log-level", level);
            }
            if (format != null) {
                Format.parse("--log-format", format);
            }
            return null;
        } catch (InvalidValue e) {
            return e.key + " " + e.getMessage();
        }
    }

    /**
     * Sets the root level and replaces the stderr appender with one in {@code format}. Does nothing when another
     * SLF4J backend is bound (a library user's choice, not ours).
     */
    public static void configure(String level, Format format) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(level("level", level), Level.INFO));
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(APPENDER);
        appender.setTarget("System.err");
        appender.setEncoder(encoder(context, format));
        appender.start();
        // The new appender is attached before the old one goes, so no event is lost in between.
        var old = root.getAppender(APPENDER);
        root.addAppender(appender);
        if (old != null) {
            root.detachAppender(old);
            old.stop();
        }
    }

    /** Logs {@code logger} at debug whatever the root level ({@code --query-log}). */
    public static void enableDebug(String logger) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(logger).setLevel(Level.DEBUG);
        }
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext context, Format format) {
        if (format == Format.JSON) {
            JsonLineLayout layout = new JsonLineLayout();
            layout.setContext(context);
            layout.start();
            LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
            encoder.setContext(context);
            encoder.setLayout(layout);
            encoder.setCharset(StandardCharsets.UTF_8);
            encoder.start();
            return encoder;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(TEXT_PATTERN);
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.start();
        return encoder;
    }
}
