package dev.orca.orchestrator.agent.runtime;

import dev.orca.orchestrator.agent.registry.AgentRules;
import dev.orca.orchestrator.engine.StepFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Secrets by name (DESIGN §8): the environment variable {@code ORCA_SECRET_<NAME>} (upper case, other
 * characters as {@code _}; any Spring property source works too), else the file {@code <secrets-dir>/<name>}
 * (trimmed). Values are never logged or stored; errors name the secret, not its value.
 */
@Component
public class Secrets {
  private final Environment environment;
  private final Path dir;

  Secrets(Environment environment, AgentSettings settings) {
    this.environment = environment;
    this.dir = settings.secretsDir();
  }

  public static String variable(String name) {
    return "ORCA_SECRET_" + name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
  }

  /** The secret's value; a {@code PROTOCOL} failure (not retried) when it is not set. */
  public Mono<String> get(String name) {
    if (!AgentRules.isSecretName(name)) {
      return Mono.error(new StepFailure(StepFailure.Kind.PROTOCOL, "'" + name + "' is not a secret name"));
    }
    String value = environment.getProperty(variable(name));
    if (value != null && !value.isBlank()) {
      return Mono.just(value.strip());
    }
    Path file = dir.resolve(name);
    return Mono.fromCallable(() -> Files.isReadable(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : "")
        .subscribeOn(Schedulers.boundedElastic())
        .onErrorMap(IOException.class, e -> new StepFailure(StepFailure.Kind.PROTOCOL,
            "secret '" + name + "' could not be read from " + file + ": " + e.getClass().getSimpleName()))
        .filter(v -> !v.isEmpty())
        .switchIfEmpty(Mono.error(() -> new StepFailure(StepFailure.Kind.PROTOCOL, "secret '" + name
            + "' is not set: set the environment variable " + variable(name) + " or mount the file " + file)));
  }
}
