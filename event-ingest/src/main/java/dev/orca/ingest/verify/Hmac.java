package dev.orca.ingest.verify;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 signatures as the providers send them: lower- or upper-case hex of the MAC. */
public final class Hmac {
  private static final String ALGORITHM = "HmacSHA256";

  private Hmac() {}

  /** The MAC of the parts, concatenated, under {@code secret}. */
  public static byte[] sha256(byte[] secret, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(secret, ALGORITHM));
      for (byte[] part : parts) {
        mac.update(part);
      }
      return mac.doFinal();
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /**
   * Whether {@code hexSignature} is the MAC of the parts under any of the secrets. Each comparison is
   * constant-time ({@link MessageDigest#isEqual}); a signature that is not hex matches nothing.
   */
  public static boolean matchesAny(List<byte[]> secrets, String hexSignature, byte[]... parts) {
    byte[] given;
    try {
      given = HexFormat.of().parseHex(hexSignature);
    } catch (IllegalArgumentException e) {
      return false;
    }
    boolean match = false;
    for (byte[] secret : secrets) {
      // No early return: the time taken does not tell which secret matched.
      match |= MessageDigest.isEqual(sha256(secret, parts), given);
    }
    return match;
  }

  /** Lower-case hex of the MAC, as GitHub, Slack and Linear send it. */
  public static String hex(byte[] secret, byte[]... parts) {
    return HexFormat.of().formatHex(sha256(secret, parts));
  }
}
