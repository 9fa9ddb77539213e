package io.meshdns.server;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Reads and validates the YAML config; every failure is one {@link ConfigException} naming file, line and key. */
public final class ConfigLoader {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private ConfigLoader() {}

  public static ServerConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config " + file + ": file does not exist");
    } catch (IOException e) {
      throw new ConfigException("config " + file + ": cannot be read: " + e.getMessage());
    }
    return parse(file.toString(), text);
  }

  static ServerConfig parse(String source, String text) {
    if (text.isBlank()) {
      throw new ConfigException("config " + source + ": file is empty");
    }
    try {
      return YAML.readValue(text, ServerConfig.class);
    } catch (JsonMappingException e) {
      throw new ConfigException("config " + source + describe(e), e);
    } catch (JsonProcessingException e) {
      throw new ConfigException("config " + source + line(e.getLocation()) + ": not valid YAML: " + e.getOriginalMessage(), e);
    }
  }

  private static String describe(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (path.length() > 0) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    String message;
    Throwable cause = e.getCause();
    if (cause instanceof InvalidValue invalid) {
      // The value type named the key inside its object; the path names the object.
      if (!path.toString().endsWith(invalid.key)) {
        path.append(path.length() > 0 ? "." : "").append(invalid.key);
      }
      message = invalid.getMessage();
    } else if (e instanceof UnrecognizedPropertyException u) {
      message = "unknown key; known keys here: " + u.getKnownPropertyIds().stream()
          .map(Object::toString).sorted().collect(Collectors.joining(", "));
    } else {
      message = e.getOriginalMessage().lines().findFirst().orElse("invalid value");
    }
    return line(e.getLocation()) + ", key " + (path.length() == 0 ? "(top level)" : path) + ": " + message;
  }

  private static String line(JsonLocation location) {
    return location == null || location.getLineNr() < 1 ? "" : ", line " + location.getLineNr();
  }
}
