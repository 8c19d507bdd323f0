package dev.orca.ingest.verify;

import dev.orca.ingest.IngestProperties;
import dev.orca.ingest.Source;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * The signing secrets of each source, from {@code orca.ingest.<source>.secrets} (values) and
 * {@code .secret-files} (paths, one secret per file). Files are read again every
 * {@code orca.ingest.secrets-refresh}, so a rotated Kubernetes secret is picked up without a restart;
 * a file that cannot be read keeps its last value. Secrets are never logged, only counted.
 */
@Component
public class WebhookSecrets implements DisposableBean {
  private static final Logger log = LoggerFactory.getLogger(WebhookSecrets.class);

  private final Map<Source, IngestProperties.Secrets> settings = new EnumMap<>(Source.class);
  private final Map<Path, byte[]> fileValues = new ConcurrentHashMap<>();
  private volatile Map<Source, List<byte[]>> current;
  private final Disposable refresh;

  public WebhookSecrets(IngestProperties properties) {
    settings.put(Source.GITHUB, properties.github());
    settings.put(Source.LINEAR, properties.linear());
    settings.put(Source.SLACK, properties.slack());
    current = load();
    current.forEach((source, secrets) -> {
      if (secrets.isEmpty()) {
        log.warn("No signing secret for {} webhooks (set ORCA_INGEST_{}_SECRETS or ORCA_INGEST_{}_SECRET_FILES): "
            + "they are refused with 404", source.id(), source, source);
      } else {
        log.info("{} webhooks: {} signing secret(s) configured", source.id(), secrets.size());
      }
    });
    Duration every = properties.secretsRefresh();
    boolean anyFiles = settings.values().stream().anyMatch(s -> !s.secretFiles().isEmpty());
    this.refresh = anyFiles && !every.isZero()
        // Reading files is blocking I/O: on boundedElastic, never on a request thread.
        ? Flux.interval(every, every, Schedulers.boundedElastic()).subscribe(tick -> current = load())
        : null;
  }

  /** The secrets accepted for {@code source} right now (empty when none is configured). */
  public List<byte[]> of(Source source) {
    return current.get(source);
  }

  private Map<Source, List<byte[]>> load() {
    Map<Source, List<byte[]>> loaded = new EnumMap<>(Source.class);
    settings.forEach((source, s) -> {
      List<byte[]> secrets = new ArrayList<>();
      for (String value : s.secrets()) {
        if (!value.isBlank()) {
          secrets.add(value.strip().getBytes(StandardCharsets.UTF_8));
        }
      }
      for (String file : s.secretFiles()) {
        if (!file.isBlank()) {
          byte[] value = read(Path.of(file.strip()));
          if (value != null && value.length > 0) {
            secrets.add(value);
          }
        }
      }
      loaded.put(source, List.copyOf(secrets));
    });
    return loaded;
  }

  private byte[] read(Path file) {
    try {
      byte[] value = Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
      fileValues.put(file, value);
      return value;
    } catch (IOException | RuntimeException e) {
      byte[] last = fileValues.get(file);
      log.warn("Cannot read webhook secret file {} ({}){}", file, e.getClass().getSimpleName(),
          last != null ? "; keeping its previous value" : "");
      return last;
    }
  }

  @Override
  public void destroy() {
    if (refresh != null) {
      refresh.dispose();
    }
  }
}
