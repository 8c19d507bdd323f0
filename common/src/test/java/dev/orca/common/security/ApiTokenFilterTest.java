package dev.orca.common.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.json.JsonMapper;

class ApiTokenFilterTest {
  private static final String HASHED_SECOND =
      "sha256:" + HexFormat.of().formatHex(ApiTokens.sha256("second-token"));

  private final WebTestClient client = clientWith(List.of("first-token", HASHED_SECOND));

  @Test
  void acceptsPlainAndHashedTokens() {
    client.get().uri("/api/v1/workflows").header("Authorization", "Bearer first-token")
        .exchange().expectStatus().isOk();
    client.get().uri("/api/v1/workflows").header("Authorization", "bearer second-token")
        .exchange().expectStatus().isOk();
  }

  @Test
  void refusesMissingOrWrongTokensWithProblemJson() {
    client.get().uri("/api/v1/workflows").exchange()
        .expectStatus().isUnauthorized()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectHeader().valueEquals("WWW-Authenticate", "Bearer")
        .expectBody().jsonPath("$.status").isEqualTo(401)
        .jsonPath("$.detail").isEqualTo("Send an API token as 'Authorization: Bearer <token>'.");
    client.get().uri("/api/v1/workflows").header("Authorization", "Bearer sha256:" + HASHED_SECOND.substring(7))
        .exchange().expectStatus().isUnauthorized()
        .expectBody().jsonPath("$.detail").isEqualTo("The API token is not valid.");
    client.get().uri("/api/v1/workflows").header("Authorization", "Basic Zmlyc3QtdG9rZW4=")
        .exchange().expectStatus().isUnauthorized();
  }

  @Test
  void leavesHealthAndMetricsOpen() {
    client.get().uri("/actuator/health").exchange().expectStatus().isOk();
    client.get().uri("/actuator/prometheus").exchange().expectStatus().isOk();
  }

  @Test
  void withNoTokensConfiguredTheApiIsClosedAndSaysWhatToSet() {
    clientWith(List.of(" ", "")).get().uri("/api/v1/executions").header("Authorization", "Bearer anything")
        .exchange().expectStatus().isEqualTo(HttpStatus.UNAUTHORIZED)
        .expectBody().jsonPath("$.detail").value(d -> assertThat((String) d).contains("ORCA_API_TOKENS"));
  }

  private static WebTestClient clientWith(List<String> tokens) {
    ApiTokenFilter filter = new ApiTokenFilter(ApiTokens.parse(tokens), List.of("/api/**"), JsonMapper.builder().build());
    return WebTestClient.bindToWebHandler(exchange -> {
          exchange.getResponse().setStatusCode(HttpStatus.OK);
          return exchange.getResponse().setComplete();
        })
        .webFilter(filter)
        .build();
  }
}
