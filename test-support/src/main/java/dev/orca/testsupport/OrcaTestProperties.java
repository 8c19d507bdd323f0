package dev.orca.testsupport;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Points a Spring test context at the test servers, from a {@code @DynamicPropertySource} method:
 * <pre>{@code
 * @DynamicPropertySource
 * static void servers(DynamicPropertyRegistry r) {
 *   OrcaTestProperties.register(r, TestPostgres.get().freshDatabase("engine"));
 *   OrcaTestProperties.registerKafka(r);
 * }
 * }</pre>
 */
public final class OrcaTestProperties {
  private OrcaTestProperties() {}

  /** Sets {@code orca.db.url} ({@code postgresql://host:port/db}), {@code orca.db.user} and {@code orca.db.password}. */
  public static void register(DynamicPropertyRegistry registry, TestDatabase db) {
    registry.add("orca.db.url", db::url);
    registry.add("orca.db.user", db::username);
    registry.add("orca.db.password", db::password);
  }

  /** Sets {@code orca.kafka.bootstrap-servers} to the shared {@link TestKafka} broker, starting it if need be. */
  public static void registerKafka(DynamicPropertyRegistry registry) {
    registry.add("orca.kafka.bootstrap-servers", () -> TestKafka.get().bootstrapServers());
  }
}
