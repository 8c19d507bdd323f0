package dev.orca.orchestrator.api;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * Lists ordered by a unique key (DESIGN §5): {@code limit} 1..{@value #MAX_LIMIT} (default {@value #DEFAULT_LIMIT})
 * and an opaque {@code cursor}, the base64url of the last key of the previous page. Bad values are 400s.
 */
public final class Paging {
  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 200;

  /** A page; {@code nextCursor} is null on the last one. */
  public record Page<T>(List<T> items, String nextCursor) {}

  private Paging() {}

  public static int limit(String limit) {
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
    throw badRequest("'limit' is an integer within 1.." + MAX_LIMIT + "; got '" + limit + "'");
  }

  /** The key a cursor stands for (null for the first page); a cursor not made here, or of an invalid key, is a 400. */
  public static String after(String cursor, Predicate<String> validKey) {
    if (cursor == null || cursor.isEmpty()) {
      return null;
    }
    try {
      String key = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (validKey.test(key)) {
        return key;
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw badRequest("'cursor' is not a cursor this API returned; pass a page's nextCursor as it is");
  }

  public static String cursor(String key) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code rows} were fetched with {@code limit + 1}: one more than fits tells there is a next page. */
  public static <T> Page<T> page(List<T> rows, int limit, Function<T, String> key) {
    if (rows.size() <= limit) {
      return new Page<>(rows, null);
    }
    List<T> items = List.copyOf(rows.subList(0, limit));
    return new Page<>(items, cursor(key.apply(items.get(limit - 1))));
  }

  private static ErrorResponseException badRequest(String detail) {
    ErrorResponseException e = new ErrorResponseException(HttpStatus.BAD_REQUEST);
    e.getBody().setTitle("Bad request");
    e.getBody().setDetail(detail);
    return e;
  }
}
