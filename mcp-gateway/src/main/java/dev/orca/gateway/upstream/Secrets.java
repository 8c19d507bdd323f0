package dev.orca.gateway.upstream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Upstream secrets by name ({@code config.auth.secret_name}): the environment variable
 * {@code ORCA_SECRET_<NAME>} (name upper-cased, other characters than letters and digits as {@code _}), else
 * the file {@code <orca.gateway.secrets-dir>/<name>} (e.g. a mounted Kubernetes secret; one trailing
 * newline dropped). Values are never logged, stored or returned; only names travel.
 */
@Component
public class Secrets {
  /** What a secret name may look like (also keeps file lookups inside the secrets directory). */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}");
  static final String ENV_PREFIX = "ORCA_SECRET_";

  private final Path dir;
  private final UnaryOperator<String> env;

  @Autowired
  public Secrets(@Value("${orca.gateway.secrets-dir:}") String dir) {
    this(dir, System::getenv);
  }

  Secrets(String dir, UnaryOperator<String> env) {
    this.dir = dir == null || dir.isBlank() ? null : Path.of(dir);
    this.env = env;
  }

  /** The environment variable a secret name maps to. */
  public static String envName(String name) {
    return ENV_PREFIX + name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
  }

  /** The secret's value, if the environment or the secrets directory has it (reads a file: not on event loops). */
  public Optional<String> resolve(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    String value = env.apply(envName(name));
    if (value != null && !value.isEmpty()) {
      return Optional.of(value);
    }
    if (dir == null) {
      return Optional.empty();
    }
    Path file = dir.resolve(name);
    if (!file.normalize().startsWith(dir.normalize()) || !Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      String content = Files.readString(file, StandardCharsets.UTF_8);
      content = content.endsWith("\r\n") ? content.substring(0, content.length() - 2)
          : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
      return content.isEmpty() ? Optional.empty() : Optional.of(content);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Where {@link #resolve} looks, for error messages (names only). */
  public String whereFor(String name) {
    return "environment variable " + envName(name) + (dir == null ? "" : " or file " + dir.resolve(name));
  }
}
