package io.meshdns.server;

/** Thrown by config value types while binding: names the offending key relative to its object. */
final class InvalidValue extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  final String key;

  InvalidValue(String key, String message) {
    super(message);
    this.key = key;
  }
}
