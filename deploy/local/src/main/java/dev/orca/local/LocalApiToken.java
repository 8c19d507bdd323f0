package dev.orca.local;

import java.io.IOException;
import java.nio.file.Path;

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
      String token = LocalSecretFile.readOrCreate(file, "orca_");
      return new LocalApiToken(token, token, false);
    } catch (IOException e) {
      throw new LaunchException("Could not keep the local API token in " + file + ": " + e.getMessage()
          + "; set ORCA_API_TOKENS instead", e);
    }
  }
}
