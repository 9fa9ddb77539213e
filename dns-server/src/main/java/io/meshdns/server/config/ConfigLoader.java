package io.meshdns.server.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.meshdns.core.ConfigException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Reads and validates the YAML config, binding its durations, sizes, networks and addresses to their types
 * ({@link ConfigValues}); every failure is one {@link ConfigException} naming file, line and key.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .registerModule(ConfigValues.module());

    /**
     * Reads the text once as tokens before binding: a key given twice is an error, not "the last one wins"
     * (a second {@code dns:} block once silently dropped the first one's bind address), and syntax errors are
     * reported here with the path where they occur, before binding wraps them.
     */
    private static final YAMLFactory STRICT = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ConfigLoader() {}

    public static ServerConfig load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config " + file + ": file does not exist");
        } catch (IOException e) {
            throw new ConfigException("config " + file + ": cannot be read: " + e.getMessage());
        }
        return parse(file.toString(), bytes);
    }

    /** The config in {@code bytes}, which must be UTF-8 text (YAML 1.2 5.2; JSON is UTF-8 too). */
    public static ServerConfig parse(String source, byte[] bytes) {
        return parse(source, text(source, bytes));
    }

    public static ServerConfig parse(String source, String text) {
        if (text.isBlank()) {
            throw new ConfigException("config " + source + ": file is empty");
        }
        try (JsonParser tokens = STRICT.createParser(text)) {
            while (tokens.nextToken() != null) {
                // every key and value once, for its syntax and duplicates
            }
        } catch (StreamReadException e) {
            throw new ConfigException("config " + source + unreadable(e, text), e);
        } catch (IOException e) {
            throw new ConfigException("config " + source + ": not valid YAML: " + e.getMessage(), e);
        }
        ServerConfig config;
        try {
            // Files named in the config (axfr.tsig[].secretFile) may be relative to the config file's folder.
            config = YAML.readerFor(ServerConfig.class)
                    .withAttribute(ConfigValues.FileNextToConfig.CONFIG_DIR, configDir(source))
                    .readValue(text);
        } catch (JsonMappingException e) {
            throw new ConfigException("config " + source + describe(e, text), e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(
                    "config " + source + line(e.getLocation()) + ": not valid YAML: " + e.getOriginalMessage(), e);
        }
        if (config == null) {
            // "~", "null" or a bare tag: YAML for "nothing", which Jackson hands back as no object at all.
            throw new ConfigException(
                    "config " + source + ": holds no settings (the document is null); expected a mapping of keys");
        }
        if (config.clusters().isEmpty() && !config.allowEmptyMesh()) {
            // The key is there with no cluster (clusters: [] or an empty value); without the key the clusters come
            // from elsewhere (the demo, tests) or a reload is checked by ServerConfig.requireClusters.
            int line = lineOf(text, List.of("clusters"));
            if (line > 0) {
                throw new ConfigException(
                        "config " + source + ", line " + line + ", key clusters: " + ServerConfig.NO_CLUSTERS);
            }
        }
        return config;
    }

    /** The folder of the config file {@code source} names; the demo's built-in config, "(demo)", names none. */
    private static Path configDir(String source) {
        return source.startsWith("(")
                ? Path.of("").toAbsolutePath()
                : Path.of(source).toAbsolutePath().getParent();
    }

    /**
     * {@code bytes} as text; bytes that are not UTF-8 (a binary file, a file in another encoding) are an
     * error naming the line and byte, not the decoder's "Input length = 1".
     */
    private static String text(String source, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // never more chars than bytes in UTF-8
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new ConfigException(String.format(
                    "config %s, line %d: not a text file: byte 0x%02x (offset %d) is not"
                            + " UTF-8; the config is a YAML text file",
                    source, line, bytes[at] & 0xFF, at));
        }
        return out.flip().toString();
    }

    /**
     * Where and why the YAML cannot be read: a key given twice (named with both lines), a tab used for
     * indentation, a character YAML does not allow (a binary file), or any other syntax error, each at the
     * line of the problem rather than of the last token read.
     */
    private static String unreadable(StreamReadException e, String text) {
        Throwable cause = e.getCause();
        if (e.getOriginalMessage().startsWith("Duplicate field") && e.getProcessor() != null) {
            List<Object> segments = new ArrayList<>();
            for (JsonStreamContext c = e.getProcessor().getParsingContext();
                    c != null && !c.inRoot();
                    c = c.getParent()) {
                segments.add(0, c.inObject() ? c.getCurrentName() : c.getCurrentIndex());
            }
            int first = lineOf(text, segments);
            return line(e.getLocation()) + ", key " + pathString(segments) + ": given twice"
                    + (first > 0 ? " (first at line " + first + ")" : "") + "; remove one of them";
        }
        if (cause instanceof org.yaml.snakeyaml.error.MarkedYAMLException marked && marked.getProblemMark() != null) {
            var mark = marked.getProblemMark();
            String where = ", line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
            String problem = marked.getProblem() == null ? "" : marked.getProblem();
            if (problem.contains("(TAB)")) {
                return where + ": a tab character where YAML expects spaces; indent with spaces only";
            }
            return where + ": not valid YAML: " + problem
                    + (marked.getContext() == null ? "" : " (" + marked.getContext() + ")");
        }
        if (cause instanceof org.yaml.snakeyaml.reader.ReaderException r) {
            // The position counts code points from the start.
            int line = 1;
            int column = 1;
            for (int i = 0, n = 0;
                    i < text.length() && n < r.getPosition();
                    i += Character.charCount(text.codePointAt(i)), n++) {
                if (text.charAt(i) == '\n') {
                    line++;
                    column = 1;
                } else {
                    column++;
                }
            }
            return String.format(
                    ", line %d, column %d: not a text file: character U+%04X is not allowed in YAML",
                    line, column, r.getCodePoint());
        }
        return line(e.getLocation()) + ": not valid YAML: " + e.getOriginalMessage();
    }

    private static String describe(JsonMappingException e, String text) {
        List<Object> segments = new ArrayList<>();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                segments.add(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                segments.add(ref.getIndex());
            }
        }
        String message;
        Throwable cause = e.getCause();
        if (cause instanceof InvalidValue invalid) {
            // The value type named the key inside its object; the path names the object.
            if (invalid.path != null) {
                segments.addAll(invalid.path);
            } else if (segments.size() >= 2
                    && segments.get(segments.size() - 1) instanceof Integer
                    && invalid.key.equals(segments.get(segments.size() - 2))) {
                // An item of a list, read by its value type: named by its list, as every check of a list is.
                segments.remove(segments.size() - 1);
            } else if (segments.isEmpty() || !invalid.key.equals(segments.get(segments.size() - 1))) {
                segments.add(invalid.key);
            }
            message = invalid.getMessage();
        } else if (e instanceof ValueInstantiationException && cause instanceof IllegalArgumentException invalid) {
            // A value type of the load balancer (LoadBalancingConfig.TopologyZone) names its key as a dotted path
            // ("loadBalancing.zones.zone is required ..."): when that path continues the object's own, its last
            // name goes on the path and the rest is the message.
            message = invalid.getMessage();
            String object = segments.stream()
                    .filter(String.class::isInstance)
                    .map(String.class::cast)
                    .collect(Collectors.joining("."));
            int space = message.indexOf(' ');
            String key = space > 0 ? message.substring(0, space) : "";
            if (!object.isEmpty() && key.startsWith(object + ".") && key.indexOf('.', object.length() + 1) < 0) {
                segments.add(key.substring(object.length() + 1));
                message = message.substring(space + 1);
            }
        } else if (e instanceof UnrecognizedPropertyException u) {
            message = "unknown key; known keys here: "
                    + u.getKnownPropertyIds().stream()
                            .map(Object::toString)
                            .sorted()
                            .collect(Collectors.joining(", "));
        } else if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            message = "expected " + expected(m.getTargetType());
        } else {
            message = e.getOriginalMessage().lines().findFirst().orElse("invalid value");
        }
        // Records are built after their whole object is read, so Jackson's location is the object's end;
        // the key's own line is what a person needs.
        int line = lineOf(text, segments);
        String where = line > 0 ? ", line " + line : line(e.getLocation());
        return where + ", key " + (segments.isEmpty() ? "(top level)" : pathString(segments)) + ": " + message;
    }

    private static String expected(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class) {
            return "a whole number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a single value";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        return "a mapping of keys (" + type.getSimpleName() + ")";
    }

    private static String pathString(List<Object> segments) {
        StringBuilder path = new StringBuilder();
        for (Object s : segments) {
            if (s instanceof Integer i) {
                path.append('[').append(i).append(']');
            } else {
                path.append(path.length() > 0 ? "." : "").append(s);
            }
        }
        return path.toString();
    }

    /** The line where the key (or list item) at {@code path} starts in the YAML text, or -1. */
    static int lineOf(String text, List<Object> path) {
        if (path.isEmpty()) {
            return -1;
        }
        try (JsonParser p = YAML.getFactory().createParser(text)) {
            JsonToken t = p.nextToken();
            for (int depth = 0; depth < path.size(); depth++) {
                Object want = path.get(depth);
                boolean last = depth == path.size() - 1;
                if (t == JsonToken.START_OBJECT && want instanceof String key) {
                    while ((t = p.nextToken()) == JsonToken.FIELD_NAME && !key.equals(p.currentName())) {
                        p.nextToken();
                        p.skipChildren();
                    }
                    if (t != JsonToken.FIELD_NAME) {
                        return -1;
                    }
                    if (last) {
                        return p.currentTokenLocation().getLineNr();
                    }
                    t = p.nextToken();
                } else if (t == JsonToken.START_ARRAY && want instanceof Integer index) {
                    t = p.nextToken();
                    for (int i = 0; i < index && t != JsonToken.END_ARRAY; i++) {
                        p.skipChildren();
                        t = p.nextToken();
                    }
                    if (t == JsonToken.END_ARRAY || t == null) {
                        return -1;
                    }
                    if (last) {
                        return p.currentTokenLocation().getLineNr();
                    }
                } else {
                    return -1;
                }
            }
            return -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static String line(JsonLocation location) {
        return location == null || location.getLineNr() < 1 ? "" : ", line " + location.getLineNr();
    }
}
