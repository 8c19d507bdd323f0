package dev.orca.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestKafka;
import dev.orca.testsupport.TestPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Bad configuration ends start-up with one line saying what to fix, and no stack trace. */
@ExtendWith(OutputCaptureExtension.class)
class StartupFailureIT {
  private static final TestDatabase db = TestPostgres.get().freshDatabase("orchestrator_startup");

  @Test
  void unreachableDatabase(CapturedOutput output) throws IOException {
    int closed = freePort();
    String url = "postgresql://localhost:" + closed + "/orca";
    assertThatThrownBy(() -> start(url, TestKafka.get().bootstrapServers(), 0)).isNotNull();
    assertClearFailure(output, "Cannot use PostgreSQL at " + url, "ORCA_DB_URL");
  }

  @Test
  void wrongKafkaAddress(CapturedOutput output) throws IOException {
    String kafka = "localhost:" + freePort();
    assertThatThrownBy(() -> start(db.url(), kafka, 0)).isNotNull();
    assertClearFailure(output, "Cannot reach Kafka at " + kafka, "ORCA_KAFKA_BOOTSTRAP_SERVERS");
  }

  @Test
  void portTaken(CapturedOutput output) throws IOException {
    try (ServerSocket taken = new ServerSocket(0)) {
      assertThatThrownBy(() -> start(db.url(), TestKafka.get().bootstrapServers(), taken.getLocalPort())).isNotNull();
      assertClearFailure(output, "Port " + taken.getLocalPort() + " was already in use", "another port");
    }
  }

  private static void start(String dbUrl, String kafka, int port) {
    new SpringApplicationBuilder(OrchestratorApplication.class).run(
        "--server.port=" + port,
        "--orca.db.url=" + dbUrl,
        "--orca.db.user=" + db.username(),
        "--orca.db.password=" + db.password(),
        "--orca.kafka.bootstrap-servers=" + kafka,
        "--orca.kafka.startup-timeout=3s");
  }

  private static void assertClearFailure(CapturedOutput output, String problem, String fix) {
    assertThat(output.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains(problem)
        .contains(fix)
        .doesNotContain("\tat ");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
