package dev.orca.gateway;

import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The gateway starts once the schema it needs is there (applied here as the orchestrator would). */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GatewayApplicationIT {
  static final TestDatabase db = ServiceChecks.migrated(TestPostgres.get().freshDatabase("gateway_app"));

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
  }

  @LocalServerPort int port;

  @Test
  void isHealthyReadyAndScrapeable() {
    ServiceChecks.assertHealthyAndScrapeable(port, "mcp-gateway");
  }
}
