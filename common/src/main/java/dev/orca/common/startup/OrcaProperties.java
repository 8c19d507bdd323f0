package dev.orca.common.startup;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The settings every service reads, each overridable by environment (ORCA_DB_URL,
 * ORCA_KAFKA_BOOTSTRAP_SERVERS, ORCA_SCHEMA_WAIT_TIMEOUT, ...). Defaults live in orca-defaults.yml.
 */
@ConfigurationProperties("orca")
public record OrcaProperties(Db db, Kafka kafka, Schema schema) {

  /** {@code url} is {@code postgresql://host:port/database}; R2DBC and JDBC URLs are derived from it. */
  public record Db(String url, String user, String password, @DefaultValue("30s") Duration connectTimeout) {}

  public record Kafka(String bootstrapServers, @DefaultValue("false") boolean checkOnStartup,
      @DefaultValue("15s") Duration startupTimeout) {}

  /** {@code await}: block start-up until the orchestrator has applied the schema this build needs. */
  public record Schema(@DefaultValue("false") boolean await, @DefaultValue("120s") Duration waitTimeout,
      @DefaultValue("500ms") Duration pollInterval) {}
}
