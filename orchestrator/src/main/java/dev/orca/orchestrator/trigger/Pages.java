package dev.orca.orchestrator.trigger;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * Cursor pagination of the subscription and repository lists, like the workflow list: ordered by a
 * unique text key; the opaque cursor is the last key shown, base64url-encoded.
 */
final class Pages {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 200;

  private Pages() {}

  /** A page of a list; {@code nextCursor} is null on the last page. */
  record Page<T>(List<T> items, String nextCursor) {}

  /** {@code rows} holds up to {@code limit + 1} rows; the extra one says there is a next page. */
  static <T> Page<T> of(List<T> rows, int limit, Function<T, String> key) {
    if (rows.size() <= limit) {
      return new Page<>(rows, null);
    }
    List<T> items = List.copyOf(rows.subList(0, limit));
    return new Page<>(items, Base64.getUrlEncoder().withoutPadding()
        .encodeToString(key.apply(items.get(limit - 1)).getBytes(StandardCharsets.UTF_8)));
  }

  static String after(String cursor) {
    if (cursor == null || cursor.isEmpty()) {
      return null;
    }
    try {
      String key = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (!key.isEmpty() && key.length() <= 600) {
        return key;
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw InvalidRequestException.one("request", "/cursor",
        "'cursor' is not a cursor this API returned; pass a page's nextCursor as it is");
  }

  static int limit(String limit) {
    if (limit == null || limit.isEmpty()) {
      return DEFAULT_LIMIT;
    }
    try {
      int n = Integer.parseInt(limit.strip());
      if (n >= 1 && n <= MAX_LIMIT) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw InvalidRequestException.one("request", "/limit",
        "'limit' is an integer within 1.." + MAX_LIMIT + "; got '" + limit + "'");
  }
}
