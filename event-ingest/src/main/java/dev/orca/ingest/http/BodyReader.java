package dev.orca.ingest.http;

import dev.orca.ingest.provider.Outcome;
import dev.orca.ingest.provider.Rejection;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;
import reactor.core.publisher.Mono;

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

  Mono<byte[]> read(ServerRequest request, String event) {
    long declared = request.headers().contentLength().orElse(-1);
    if (declared > maxBytes) {
      return Mono.error(tooLarge(event));
    }
    return DataBufferUtils.join(request.body(BodyExtractors.toDataBuffers()), maxBytes)
        .map(buffer -> {
          try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return bytes;
          } finally {
            DataBufferUtils.release(buffer);
          }
        })
        .defaultIfEmpty(new byte[0])
        .onErrorMap(DataBufferLimitException.class, e -> tooLarge(event));
  }

  private Rejection tooLarge(String event) {
    return new Rejection(Outcome.TOO_LARGE, 413, "Webhook body too large",
        "The body is larger than " + maxBytes + " bytes (orca.ingest.max-body-size)", event);
  }
}
