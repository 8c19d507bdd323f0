package dev.orca.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.db.Schema;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OrchestratorApplicationIT {
  static final TestDatabase db = TestPostgres.get().freshDatabase("orchestrator_app");

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    OrcaTestProperties.registerKafka(registry);
  }

  @LocalServerPort int port;
  @Autowired DatabaseClient client;

  @Test
  void appliesTheWholeSchemaAtStartUp() throws Exception {
    try (Connection c = db.connect();
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT max(version::int), bool_and(success) FROM flyway_schema_history WHERE version IS NOT NULL")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(Schema.VERSION);
      assertThat(rs.getBoolean(2)).isTrue();
    }
  }

  @Test
  void theEnginesConnectionsUseGenericPlans() {
    String mode = client.sql("SELECT current_setting('plan_cache_mode') AS mode")
        .map(row -> row.get("mode", String.class)).one().block(Duration.ofSeconds(30));
    assertThat(mode).isEqualTo("force_generic_plan");
  }

  @Test
  void isHealthyReadyAndScrapeable() {
    ServiceChecks.assertHealthyAndScrapeable(port, "orchestrator");
  }
}
