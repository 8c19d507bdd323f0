package dev.orca.orchestrator.trigger;

import java.util.Arrays;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A subscription's {@code event_type_pattern}: an event type in which {@code *} matches any run of
 * characters, dots included. {@code com.github.issues.opened} matches only itself;
 * {@code com.github.issues.*} every issues action; {@code com.github.*} every GitHub event; {@code *}
 * everything of the subscription's source. Letters, digits, {@code . _ - *} only.
 */
record EventTypePattern(String text, Pattern regex) {
  static final Pattern SYNTAX = Pattern.compile("[A-Za-z0-9._*-]{1,255}");

  static boolean isValid(String text) {
    return text != null && SYNTAX.matcher(text).matches();
  }

  static EventTypePattern of(String text) {
    if (!isValid(text)) {
      throw new IllegalArgumentException("not an event type pattern: " + text);
    }
    String regex = Arrays.stream(text.split("\\*", -1)).map(Pattern::quote).collect(Collectors.joining(".*"));
    return new EventTypePattern(text, Pattern.compile(regex));
  }

  boolean matches(String type) {
    return regex.matcher(type).matches();
  }
}
