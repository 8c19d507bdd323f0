package dev.orca.local;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * event-ingest's GitHub webhook secret on the local stack: the environment's ORCA_INGEST_GITHUB_SECRETS or
 * ORCA_INGEST_GITHUB_SECRET_FILES when set, otherwise one made on first start and kept in
 * {@code <home>/github-webhook-secret}, which {@code deploy/local/send-github-webhook} signs with.
 */
final class LocalWebhookSecret {
  static final String FILE = "github-webhook-secret";

  private LocalWebhookSecret() {}

  /** The secret file to hand to event-ingest, or null when the environment configures GitHub secrets itself. */
  static Path githubFile(Map<String, String> env, Path home) {
    if (isSet(env.get("ORCA_INGEST_GITHUB_SECRETS")) || isSet(env.get("ORCA_INGEST_GITHUB_SECRET_FILES"))) {
      return null;
    }
    Path file = home.resolve(FILE);
    try {
      LocalSecretFile.readOrCreate(file, "whsec_");
      return file;
    } catch (IOException e) {
      throw new LaunchException("Could not keep the local GitHub webhook secret in " + file + ": " + e.getMessage()
          + "; set ORCA_INGEST_GITHUB_SECRETS instead", e);
    }
  }

  private static boolean isSet(String value) {
    return value != null && !value.isBlank();
  }
}
