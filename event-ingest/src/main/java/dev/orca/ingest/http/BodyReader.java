package dev.orca.ingest.http;

import dev.orca.ingest.provider.Outcome;
import dev.orca.ingest.provider.Rejection;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.util.Arrays;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Reads a request's raw body up to a limit. A declared {@code Content-Length} over it is refused at
 * once; otherwise counting stops the read as soon as the limit is passed, so an oversized body is
 * never buffered whole.
 */
final class BodyReader {
  private final int maxBytes;

  BodyReader(long maxBytes) {
    this.maxBytes = (int) Math.min(Integer.MAX_VALUE - 8, maxBytes);
  }

  Mono<byte[]> read(HttpServerRequest request, String event) {
    long declared = declaredLength(request);
    if (declared > maxBytes) {
      return Mono.error(tooLarge(event));
    }
    int expected = declared >= 0 ? (int) declared : 16 * 1024;
    return request.receive()
        .reduce(new Body(expected), (body, chunk) -> body.append(chunk, maxBytes, () -> tooLarge(event)))
        .map(Body::bytes);
  }

  /** The bytes read so far, in an array sized by the declared length (grown if the body is chunked). */
  private static final class Body {
    private byte[] bytes;
    private int size;

    Body(int expected) {
      bytes = new byte[expected];
    }

    Body append(ByteBuf chunk, int max, Supplier<Rejection> tooLarge) {
      int length = chunk.readableBytes();
      if (size + length > max) {
        throw tooLarge.get(); // cancels the read
      }
      if (size + length > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.min(max, Math.max(size + length, 2 * bytes.length)));
      }
      chunk.readBytes(bytes, size, length);
      size += length;
      return this;
    }

    byte[] bytes() {
      return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
    }
  }

  private static long declaredLength(HttpServerRequest request) {
    String length = request.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
    try {
      return length == null ? -1 : Long.parseLong(length.strip());
    } catch (NumberFormatException e) {
      return -1; // Netty's decoder refuses such a request before it gets here
    }
  }

  private Rejection tooLarge(String event) {
    return new Rejection(Outcome.TOO_LARGE, 413, "Webhook body too large",
        "The body is larger than " + maxBytes + " bytes (orca.ingest.max-body-size)", event);
  }
}
