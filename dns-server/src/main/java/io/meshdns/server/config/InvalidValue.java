package io.meshdns.server.config;

import java.util.List;

/**
 * Thrown by config value types while binding: names the offending key relative to its object, or, for
 * checks across objects, its whole path from the top ({@code clusters}, 1, {@code reverseZones}).
 */
final class InvalidValue extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    final String key;
    final List<Object> path;

    InvalidValue(String key, String message) {
        super(message);
        this.key = key;
        this.path = null;
    }

    InvalidValue(List<Object> path, String message) {
        super(message);
        this.key = String.valueOf(path.get(path.size() - 1));
        this.path = List.copyOf(path);
    }
}
