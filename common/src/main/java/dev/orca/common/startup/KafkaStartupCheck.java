package dev.orca.common.startup;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Services that publish or consume Kafka make sure, before they serve, that the configured brokers
 * answer; a wrong address ends start-up with one line naming ORCA_KAFKA_BOOTSTRAP_SERVERS.
 */
public final class KafkaStartupCheck implements SmartInitializingSingleton {
  private static final Logger log = LoggerFactory.getLogger(KafkaStartupCheck.class);
  private final OrcaProperties.Kafka kafka;

  public KafkaStartupCheck(OrcaProperties.Kafka kafka) {
    this.kafka = kafka;
  }

  @Override
  public void afterSingletonsInstantiated() {
    long timeoutMs = kafka.startupTimeout().toMillis();
    Map<String, Object> config = Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeoutMs,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs);
    try (Admin admin = Admin.create(config)) {
      // Start-up only: a bounded wait on the main thread before anything is served.
      int brokers = admin.describeCluster().nodes().get(timeoutMs, TimeUnit.MILLISECONDS).size();
      log.info("Kafka at {} answered with {} broker(s)", kafka.bootstrapServers(), brokers);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unreachable("interrupted", e);
    } catch (TimeoutException e) {
      throw unreachable("no broker answered within " + DatabaseFailureAnalyzer.human(kafka.startupTimeout()), e);
    } catch (ExecutionException | KafkaException e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      Throwable root = cause.getCause() != null ? cause.getCause() : cause;
      throw unreachable(DatabaseFailureAnalyzer.firstLine(root.getMessage()), e);
    }
  }

  private StartupCheckException unreachable(String reason, Throwable cause) {
    return new StartupCheckException(
        "Cannot reach Kafka at " + kafka.bootstrapServers() + ": " + reason,
        "Start the broker there, or set ORCA_KAFKA_BOOTSTRAP_SERVERS (host:port[,host:port]) to brokers this service can reach.",
        cause);
  }
}
