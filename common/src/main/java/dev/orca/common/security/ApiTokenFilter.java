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
    if (!protects(exchange.getRequest().getPath().pathWithinApplication())) {
      return chain.filter(exchange);
    }
    String refusal = refusal(exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION));
    return refusal == null ? chain.filter(exchange) : refuse(exchange, refusal);
  }

  /** Whether {@code path} needs a token (for endpoints served outside the WebFilter chain). */
  public boolean protects(String path) {
    return protects(PathContainer.parsePath(path));
  }

  private boolean protects(PathContainer path) {
    return protectedPaths.stream().anyMatch(p -> p.matches(path));
  }

  /** Why a request with this {@code Authorization} header is refused, or null when its token is valid. */
  public String refusal(String authorization) {
    if (tokens.isEmpty()) {
      return "No API tokens are configured, so the API is closed: set ORCA_API_TOKENS.";
    }
    if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return "Send an API token as 'Authorization: Bearer <token>'.";
    }
    if (!tokens.accepts(authorization.substring(BEARER.length()).strip())) {
      return "The API token is not valid.";
    }
    return null;
  }

  /** The 401 body ({@code application/problem+json}) for a {@link #refusal}; sent with {@code WWW-Authenticate: Bearer}. */
  public byte[] problem(String refusal) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED, refusal);
    problem.setTitle("Unauthorized");
    return json.writeValueAsBytes(problem);
  }

  private Mono<Void> refuse(ServerWebExchange exchange, String detail) {
    var response = exchange.getResponse();
    response.setStatusCode(HttpStatus.UNAUTHORIZED);
    response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    response.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
    return response.writeWith(Mono.just(response.bufferFactory().wrap(problem(detail))));
  }
}
