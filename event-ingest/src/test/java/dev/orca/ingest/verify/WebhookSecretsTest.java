package dev.orca.ingest.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.ingest.IngestProperties;
import dev.orca.ingest.Source;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Secrets from the environment variables the README names, and from mounted files. */
class WebhookSecretsTest {

  @Test
  void environmentValuesAndFilesAreAllAccepted(@TempDir Path dir) throws Exception {
    Path mounted = dir.resolve("github-secret");
    Files.writeString(mounted, "from-a-file\n");
    IngestProperties properties = bind(Map.of(
        "ORCA_INGEST_GITHUB_SECRETS", "first,second",
        "ORCA_INGEST_GITHUB_SECRET_FILES", mounted.toString(),
        "ORCA_INGEST_SLACK_SECRETS", "slack-secret",
        "ORCA_INGEST_MAX_BODY_SIZE", "1MB"));

    WebhookSecrets secrets = new WebhookSecrets(properties);
    try {
      assertThat(secrets.of(Source.GITHUB)).extracting(b -> new String(b, StandardCharsets.UTF_8))
          .containsExactly("first", "second", "from-a-file");
      assertThat(secrets.of(Source.SLACK)).hasSize(1);
      assertThat(secrets.of(Source.LINEAR)).isEmpty();
      assertThat(properties.maxBodySize().toBytes()).isEqualTo(1024 * 1024);
    } finally {
      secrets.destroy();
    }
  }

  @Test
  void defaultsWithoutAnySetting() {
    IngestProperties properties = bind(Map.of());
    assertThat(properties.maxBodySize().toBytes()).isEqualTo(25L * 1024 * 1024);
    assertThat(properties.github().secrets()).isEmpty();
  }

  private static IngestProperties bind(Map<String, Object> env) {
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
        new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, env));
    return new Binder(ConfigurationPropertySources.get(environment))
        .bindOrCreate("orca.ingest", IngestProperties.class);
  }
}
