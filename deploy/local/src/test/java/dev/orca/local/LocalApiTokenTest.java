package dev.orca.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalApiTokenTest {
  @TempDir Path home;

  @Test
  void makesATokenOnceKeepsItPrivateAndReusesIt() throws Exception {
    LocalApiToken first = LocalApiToken.resolve(null, home);
    assertThat(first.tokens()).startsWith("orca_").hasSizeGreaterThan(30);
    assertThat(first.fromEnvironment()).isFalse();
    Path file = home.resolve("api-token");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(LocalApiToken.resolve("  ", home).tokens()).isEqualTo(first.tokens());
  }

  @Test
  void theEnvironmentWinsAndIsNeverShown() {
    LocalApiToken token = LocalApiToken.resolve("a,b", home);
    assertThat(token.tokens()).isEqualTo("a,b");
    assertThat(token.shown()).isNull();
    assertThat(Files.exists(home.resolve("api-token"))).isFalse();
  }
}
