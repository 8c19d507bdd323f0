package dev.orca.common.security;

import java.util.List;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.server.PathContainer;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** Requires {@code Authorization: Bearer <token>} on the protected paths (by default {@code /api/**}). */
public final class ApiTokenFilter implements WebFilter, Ordered {
  private static final String BEARER = "Bearer ";
  private final ApiTokens tokens;
  private final List<PathPattern> protectedPaths;
  private final JsonMapper json;

  public ApiTokenFilter(ApiTokens tokens, List<String> protectedPaths, JsonMapper json) {
    this.tokens = tokens;
    this.protectedPaths = protectedPaths.stream().map(PathPatternParser.defaultInstance::parse).toList();
    this.json = json;
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE + 10;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    PathContainer path = exchange.getRequest().getPath().pathWithinApplication();
    if (protectedPaths.stream().noneMatch(p -> p.matches(path))) {
      return chain.filter(exchange);
    }
    String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
    if (tokens.isEmpty()) {
      return refuse(exchange, "No API tokens are configured, so the API is closed: set ORCA_API_TOKENS.");
    }
    if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return refuse(exchange, "Send an API token as 'Authorization: Bearer <token>'.");
    }
    if (!tokens.accepts(header.substring(BEARER.length()).strip())) {
      return refuse(exchange, "The API token is not valid.");
    }
    return chain.filter(exchange);
  }

  private Mono<Void> refuse(ServerWebExchange exchange, String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED, detail);
    problem.setTitle("Unauthorized");
    var response = exchange.getResponse();
    response.setStatusCode(HttpStatus.UNAUTHORIZED);
    response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    response.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
    byte[] body = json.writeValueAsBytes(problem);
    return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
  }
}
