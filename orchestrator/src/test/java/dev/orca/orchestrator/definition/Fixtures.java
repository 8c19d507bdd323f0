package dev.orca.orchestrator.definition;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Definitions from {@code src/test/resources/workflows/} and inline JSON. */
final class Fixtures {
  static final JsonMapper JSON = JsonMapper.builder().build();

  private Fixtures() {}

  static JsonNode workflow(String file) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/workflows/" + file)) {
      if (in == null) {
        throw new IllegalStateException("no fixture workflows/" + file);
      }
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** JSON with single quotes for readability: {@code json("{'a': 1}")}. */
  static JsonNode json(String singleQuoted) {
    return JSON.readTree(singleQuoted.replace('\'', '"'));
  }
}
