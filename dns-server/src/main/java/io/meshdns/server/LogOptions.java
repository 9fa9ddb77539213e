package io.meshdns.server;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --log-level} and {@code --log-format}, shared by every command that logs; they win over the config's. */
final class LogOptions {
  @Option(names = "--log-level", paramLabel = "LEVEL",
      description = "error, warn, info, debug or trace (overrides logging.level; default info).")
  String level;

  @Option(names = "--log-format", paramLabel = "FORMAT",
      description = "text or json: one JSON object per line on stderr (overrides logging.format; default text).")
  String format;

  /** Rejects a bad flag naming it (exit code 2), before anything starts. */
  void validate(CommandLine cli) {
    try {
      if (level != null) {
        LogOutput.level("--log-level", level);
      }
      if (format != null) {
        LogOutput.Format.parse("--log-format", format);
      }
    } catch (InvalidValue e) {
      throw new CommandLine.ParameterException(cli, e.key + " " + e.getMessage());
    }
  }

  /** Configures logging from the flags over {@code fromConfig}; returns the format in force. */
  LogOutput.Format apply(ServerConfig.Logging fromConfig) {
    LogOutput.Format f = LogOutput.Format.parse("format", format != null ? format : fromConfig.format());
    LogOutput.configure(level != null ? level : fromConfig.level(), f);
    return f;
  }
}
