package dev.orca.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.orchestrator.definition.RetryPolicy;
import java.time.Duration;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** A provider's Retry-After lengthens the policy's delay, never beyond the policy's cap. */
class RetryAfterTest {
  private static final RetryPolicy FIXED = new RetryPolicy(RetryPolicy.FIXED, 3, 10, 5_000, 1.0);
  private static final RandomGenerator JITTER = RandomGenerator.of("L64X128MixRandom");

  private static StepFailure transport(Duration retryAfter) {
    return new StepFailure(StepFailure.Kind.TRANSPORT, "HTTP 429", null, retryAfter);
  }

  @Test
  void withoutRetryAfterThePolicyDecides() {
    assertThat(ExecutionRunner.retryDelay(FIXED, 1, transport(null), JITTER)).isEqualTo(Duration.ofMillis(10));
  }

  @Test
  void aLongerRetryAfterWins() {
    assertThat(ExecutionRunner.retryDelay(FIXED, 1, transport(Duration.ofSeconds(2)), JITTER)).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aShorterRetryAfterDoesNotShortenThePolicy() {
    assertThat(ExecutionRunner.retryDelay(FIXED, 1, transport(Duration.ZERO), JITTER)).isEqualTo(Duration.ofMillis(10));
  }

  @Test
  void retryAfterIsCappedAtTheMaximumDelay() {
    assertThat(ExecutionRunner.retryDelay(FIXED, 1, transport(Duration.ofMinutes(10)), JITTER)).isEqualTo(Duration.ofSeconds(5));
  }
}
