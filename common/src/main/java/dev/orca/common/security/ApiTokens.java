package dev.orca.common.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The accepted API tokens, kept only as SHA-256 digests. Configured as a comma-separated list where
 * each entry is a token or {@code sha256:<hex>} (so a deployment can hold hashes only, at rest).
 */
public final class ApiTokens {
  private static final String HASHED = "sha256:";
  private final List<byte[]> digests;

  private ApiTokens(List<byte[]> digests) {
    this.digests = digests;
  }

  public static ApiTokens parse(List<String> configured) {
    return new ApiTokens(configured.stream()
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .map(s -> s.startsWith(HASHED) ? HexFormat.of().parseHex(s.substring(HASHED.length())) : sha256(s))
        .toList());
  }

  public boolean isEmpty() {
    return digests.isEmpty();
  }

  /** Constant-time in the token's content: every configured digest is compared in full. */
  public boolean accepts(String presented) {
    byte[] digest = sha256(presented);
    boolean match = false;
    for (byte[] d : digests) {
      match |= MessageDigest.isEqual(d, digest);
    }
    return match;
  }

  static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
