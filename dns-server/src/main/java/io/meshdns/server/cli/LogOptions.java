package io.meshdns.server.cli;

import io.meshdns.server.config.LogOutput;
import io.meshdns.server.config.ServerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --log-level} and {@code --log-format}, shared by every command that logs; they win over the config's. */
public final class LogOptions {
    @Option(
            names = "--log-level",
            paramLabel = "LEVEL",
            description = "error, warn, info, debug or trace (overrides logging.level; default info).")
    String level;

    @Option(
            names = "--log-format",
            paramLabel = "FORMAT",
            description = "text or json: one JSON object per line on stderr (overrides logging.format; default text).")
    String format;

    /** Rejects a bad flag naming it (exit code 2), before anything starts. */
    public void validate(CommandLine cli) {
        String problem = LogOutput.flagProblem(level, format);
        if (problem != null) {
            throw new CommandLine.ParameterException(cli, problem);
        }
    }

    /** Configures logging from the flags over {@code fromConfig}; returns the format in force. */
    public LogOutput.Format apply(ServerConfig.Logging fromConfig) {
        LogOutput.Format f = LogOutput.Format.parse("format", format != null ? format : fromConfig.format());
        LogOutput.configure(level != null ? level : fromConfig.level(), f);
        return f;
    }
}
