package dev.orca.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The bearer token the local stack's APIs accept: ORCA_API_TOKENS when set, otherwise one made on
 * first start and kept in {@code <home>/api-token} (readable by its owner only), so curl commands
 * keep working across restarts.
 */
record LocalApiToken(String tokens, String shown, boolean fromEnvironment) {

  static LocalApiToken resolve(String fromEnv, Path home) {
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new LocalApiToken(fromEnv, null, true);
    }
    Path file = home.resolve("api-token");
    try {
      if (Files.exists(file)) {
        String token = Files.readString(file, StandardCharsets.UTF_8).strip();
        return new LocalApiToken(token, token, false);
      }
      byte[] bytes = new byte[24];
      new SecureRandom().nextBytes(bytes);
      String token = "orca_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      Files.createDirectories(home);
      Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException notPosix) {
        // best effort on file systems without POSIX permissions
      }
      return new LocalApiToken(token, token, false);
    } catch (IOException e) {
      throw new LaunchException("Could not keep the local API token in " + file + ": " + e.getMessage()
          + "; set ORCA_API_TOKENS instead", e);
    }
  }
}
