package dev.orca.testsupport;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** Checks that a broker answers, so a wrong address fails at start-up with its own message. */
final class KafkaProbe {
  private KafkaProbe() {}

  static Admin admin(String bootstrapServers) {
    return Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000));
  }

  /** Returns the cluster id, or throws when no broker answers within 15 s. */
  static String clusterId(String bootstrapServers) throws ExecutionException, TimeoutException, InterruptedException {
    try (Admin admin = admin(bootstrapServers)) {
      return admin.describeCluster().clusterId().get(15, TimeUnit.SECONDS);
    }
  }
}
