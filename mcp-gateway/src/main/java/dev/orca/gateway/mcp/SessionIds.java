package dev.orca.gateway.mcp;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Legacy-era session ids that need no shared state: {@code <random>.<protocol version>.<HMAC>}, signed with
 * the gateway's session secret. Any replica with the same secret accepts a session another replica
 * issued, so sessions survive load balancing and restarts; a forged or altered id is refused.
 */
final class SessionIds {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  private final SecureRandom random = new SecureRandom();
  private final SecretKeySpec key;

  SessionIds(byte[] secret) {
    this.key = new SecretKeySpec(secret, "HmacSHA256");
  }

  /** A new session id carrying {@code protocolVersion}. */
  String issue(String protocolVersion) {
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    String body = B64.encodeToString(nonce) + "." + protocolVersion;
    return body + "." + B64.encodeToString(mac(body));
  }

  /** The protocol version of a session this gateway issued, or empty for anything else. */
  Optional<String> verify(String sessionId) {
    int last = sessionId.lastIndexOf('.');
    if (last <= 0) {
      return Optional.empty();
    }
    String body = sessionId.substring(0, last);
    byte[] presented;
    try {
      presented = B64D.decode(sessionId.substring(last + 1));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (!MessageDigest.isEqual(mac(body), presented)) {
      return Optional.empty();
    }
    String version = body.substring(body.indexOf('.') + 1);
    return ProtocolVersions.LEGACY.contains(version) ? Optional.of(version) : Optional.empty();
  }

  private byte[] mac(String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(body.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }
}
