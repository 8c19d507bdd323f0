package dev.orca.orchestrator.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

/** Retry-After as providers send it: seconds (Anthropic, OpenAI), an HTTP date, or OpenAI's retry-after-ms. */
class AgentHttpTest {

  private static Duration of(String name, String value) {
    HttpHeaders headers = new HttpHeaders();
    headers.set(name, value);
    return AgentHttp.retryAfter(headers);
  }

  @Test
  void secondsAndFractions() {
    assertThat(of("retry-after", "7")).isEqualTo(Duration.ofSeconds(7));
    assertThat(of("Retry-After", "0.5")).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void anHttpDateInTheFuture() {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now().plusMinutes(2));
    assertThat(of("Retry-After", date)).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(121));
  }

  @Test
  void retryAfterMsAndNonsense() {
    assertThat(of("retry-after-ms", "1500")).isEqualTo(Duration.ofMillis(1500));
    assertThat(of("Retry-After", "soon")).isNull();
    assertThat(AgentHttp.retryAfter(new HttpHeaders())).isNull();
  }
}
