package dev.orca.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orca.db.Schema;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** The gateway never applies the schema itself: with none there it waits, then says who should. */
@ExtendWith(OutputCaptureExtension.class)
class SchemaWaitIT {

  @Test
  void refusesToStartWithoutTheSchemaAndDoesNotCreateIt(CapturedOutput output) throws Exception {
    TestDatabase empty = TestPostgres.get().freshDatabase("gateway_no_schema");
    assertThatThrownBy(() -> new SpringApplicationBuilder(GatewayApplication.class).run(
            "--server.port=0",
            "--orca.db.url=" + empty.url(),
            "--orca.db.user=" + empty.username(),
            "--orca.db.password=" + empty.password(),
            "--orca.schema.wait-timeout=1s"))
        .isNotNull();

    assertThat(output.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("is at version 0 but this service needs version " + Schema.VERSION)
        .contains("Start the orchestrator")
        .doesNotContain("\tat ");
    try (var c = empty.connect();
        var rs = c.createStatement().executeQuery(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")) {
      rs.next();
      assertThat(rs.getInt(1)).as("tables the gateway created").isZero();
    }
  }
}
