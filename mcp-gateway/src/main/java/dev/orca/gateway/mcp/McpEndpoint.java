package dev.orca.gateway.mcp;

import dev.orca.common.security.ApiTokenFilter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code /mcp} on Reactor Netty itself, not through WebFlux: every relayed tool call comes in here, and
 * WebFlux's exchange, filter chain, handler mapping, response writers and HTTP observation cost a relayed
 * call more CPU than the relay. What those gave {@code /mcp} is done here: the bearer token
 * ({@link ApiTokenFilter}, with the management API's paths and tokens), the body size limit
 * ({@code spring.http.codecs.max-in-memory-size}), and a JSON-RPC error instead of a stack trace on failure.
 * The gateway's own call metrics (DESIGN §7) are recorded by the relay as before.
 */
final class McpEndpoint {
  static final String PATH = "/mcp";
  private static final Logger log = LoggerFactory.getLogger(McpEndpoint.class);
  private static final byte[] INTERNAL_ERROR = ("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":" + McpError.INTERNAL_ERROR
      + ",\"message\":\"Internal error: the gateway failed on this request\"}}").getBytes(StandardCharsets.UTF_8);

  private final McpHandler handler;
  private final ApiTokenFilter tokens;
  /** Whether {@code orca.api.protected-paths} covers /mcp (decided once: the path never changes). */
  private final boolean guarded;
  private final int maxBody;

  McpEndpoint(McpHandler handler, ApiTokenFilter tokens, int maxBody) {
    this.handler = handler;
    this.tokens = tokens;
    this.guarded = tokens.protects(PATH);
    this.maxBody = maxBody;
  }

  Publisher<Void> post(HttpServerRequest request, HttpServerResponse response) {
    String refusal = refusal(request);
    if (refusal != null) {
      return unauthorized(response, refusal);
    }
    McpRequest headers = name -> request.requestHeaders().get(name);
    McpReply early = handler.refuseEarly(headers);
    if (early != null) {
      return send(response, early);
    }
    return body(request)
        .flatMap(body -> body.length > maxBody ? Mono.just(handler.tooLarge()) : handler.post(headers, body))
        .onErrorResume(e -> {
          log.warn("POST /mcp failed", e);
          return Mono.just(McpReply.json(500, INTERNAL_ERROR, null));
        })
        .flatMap(reply -> Mono.from(send(response, reply)));
  }

  /** GET and DELETE: no standalone stream (legacy GET) and no client-terminated sessions (they are signed). */
  Publisher<Void> notAllowed(HttpServerRequest request, HttpServerResponse response) {
    String refusal = refusal(request);
    if (refusal != null) {
      return unauthorized(response, refusal);
    }
    return response.status(HttpResponseStatus.METHOD_NOT_ALLOWED).header(HttpHeaderNames.ALLOW, "POST").send();
  }

  private String refusal(HttpServerRequest request) {
    return guarded ? tokens.refusal(request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION)) : null;
  }

  private Publisher<Void> unauthorized(HttpServerResponse response, String refusal) {
    byte[] problem = tokens.problem(refusal);
    return response.status(HttpResponseStatus.UNAUTHORIZED)
        .header(HttpHeaderNames.CONTENT_TYPE, "application/problem+json")
        .header(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer")
        .header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(problem.length))
        .sendByteArray(Mono.just(problem));
  }

  /**
   * The whole body (empty when there is none); past the limit the rest is read but not kept, and the caller
   * answers 413 once the client has sent it all.
   */
  private Mono<byte[]> body(HttpServerRequest request) {
    return request.receive().asByteArray()
        .collect(ByteArrayOutputStream::new, (all, chunk) -> {
          if (all.size() <= maxBody) {
            all.writeBytes(chunk);
          }
        })
        .map(ByteArrayOutputStream::toByteArray);
  }

  private Publisher<Void> send(HttpServerResponse response, McpReply reply) {
    response.status(reply.status());
    if (reply.session() != null) {
      response.header(McpHandler.SESSION_HEADER, reply.session());
    }
    if (reply.json() != null) {
      return response.header(HttpHeaderNames.CONTENT_TYPE, "application/json")
          .header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(reply.json().length))
          .sendByteArray(Mono.just(reply.json()));
    }
    if (reply.events() != null) {
      // The headers go out at once, before the first message: from then on Netty reads the connection, so a
      // client that goes away while nothing has been sent yet is seen and the upstream call cancelled. Each
      // message is flushed at once: progress notifications must not wait for the result.
      return response.header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
          .header(HttpHeaderNames.CACHE_CONTROL, "no-cache")
          .header("X-Accel-Buffering", "no")
          .sendHeaders()
          .then(response.send(reply.events().map(McpEndpoint::event), buffer -> true));
    }
    return response.header(HttpHeaderNames.CONTENT_LENGTH, "0").send();
  }

  private static ByteBuf event(String message) {
    return Unpooled.wrappedBuffer(("event:message\ndata:" + message + "\n\n").getBytes(StandardCharsets.UTF_8));
  }
}
