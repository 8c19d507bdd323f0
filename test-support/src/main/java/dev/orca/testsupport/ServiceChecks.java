package dev.orca.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.flywaydb.core.Flyway;

/** Checks every Orca service's integration tests share: the schema as the orchestrator applies it, and actuator answers. */
public final class ServiceChecks {
  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ServiceChecks() {}

  /** Applies the schema (module db's migrations on the classpath) as the orchestrator does at start-up. */
  public static TestDatabase migrated(TestDatabase db) {
    Flyway.configure()
        .dataSource(db.jdbcUrl(), db.username(), db.password())
        .locations("classpath:db/migration")
        .placeholderReplacement(false)
        .load()
        .migrate();
    return db;
  }

  /**
   * The service on {@code port} reports health, liveness and readiness UP and serves Prometheus text
   * tagged with its application name.
   */
  public static void assertHealthyAndScrapeable(int port, String application) {
    for (String path : new String[] {"/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"}) {
      HttpResponse<String> health = get(port, path);
      check(health.statusCode() == 200 && health.body().contains("\"status\":\"UP\""),
          path + " is not UP: " + health.statusCode() + " " + health.body());
    }
    HttpResponse<String> metrics = get(port, "/actuator/prometheus");
    check(metrics.statusCode() == 200, "/actuator/prometheus answered " + metrics.statusCode());
    check(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
        "/actuator/prometheus is not Prometheus text: " + metrics.headers().firstValue("Content-Type"));
    check(metrics.body().contains("# TYPE jvm_memory_used_bytes gauge"), "no JVM metrics in /actuator/prometheus");
    check(metrics.body().contains("application=\"" + application + "\""),
        "metrics are not tagged application=\"" + application + "\"");
  }

  private static HttpResponse<String> get(int port, String path) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
        .timeout(Duration.ofSeconds(10)).GET().build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("GET " + path + " on port " + port + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }
}
