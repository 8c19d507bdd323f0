package dev.orca.orchestrator.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final RetryPolicy exponential = new RetryPolicy("exponential", 10, 500, 10_000, 2.0);

  @Test
  void exponentialDelaysStayWithinHalfAndAllOfTheCappedBackoff() {
    RandomGenerator random = new SplittableRandom(7);
    long[] expected = {500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000};
    for (int n = 1; n <= expected.length; n++) {
      for (int draw = 0; draw < 200; draw++) {
        long ms = exponential.delayBeforeRetry(n, random).toMillis();
        assertThat(ms).as("retry %d", n).isBetween(expected[n - 1] / 2, expected[n - 1]);
      }
    }
  }

  @Test
  void jitterReachesBothEndsOfItsRange() {
    RandomGenerator lowest = new FixedRandom(0);
    RandomGenerator highest = new FixedRandom(Long.MAX_VALUE);
    assertThat(exponential.delayBeforeRetry(3, lowest)).isEqualTo(Duration.ofMillis(1_000));
    assertThat(exponential.delayBeforeRetry(3, highest)).isEqualTo(Duration.ofMillis(2_000));
  }

  @Test
  void theCapHoldsForHugeRetryNumbersWithoutOverflow() {
    RetryPolicy steep = new RetryPolicy("exponential", 20, 3_600_000, 86_400_000, 10.0);
    Duration d = steep.delayBeforeRetry(20, new FixedRandom(Long.MAX_VALUE));
    assertThat(d).isEqualTo(Duration.ofMillis(86_400_000));
    assertThat(steep.delayBeforeRetry(1_000, new SplittableRandom(1)).toMillis()).isBetween(43_200_000L, 86_400_000L);
  }

  @Test
  void fixedWaitsTheInitialDelayEveryTime() {
    RetryPolicy fixed = new RetryPolicy("fixed", 3, 750, 750, 1.0);
    assertThat(fixed.delayBeforeRetry(1, new SplittableRandom(1))).isEqualTo(Duration.ofMillis(750));
    assertThat(fixed.delayBeforeRetry(3, new SplittableRandom(2))).isEqualTo(Duration.ofMillis(750));
  }

  @Test
  void allowsRetryCountsRetriesAfterTheFirstAttempt() {
    RetryPolicy two = new RetryPolicy("exponential", 2, 100, 1_000, 2.0);
    assertThat(two.allowsRetry(0)).isTrue();
    assertThat(two.allowsRetry(1)).isTrue();
    assertThat(two.allowsRetry(2)).isFalse();
    assertThat(RetryPolicy.NO_RETRY.allowsRetry(0)).isFalse();
  }

  @Test
  void boundsAreEnforced() {
    assertThatThrownBy(() -> new RetryPolicy("exponential", 21, 100, 1_000, 2.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy("exponential", -1, 100, 1_000, 2.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy("exponential", 1, 0, 1_000, 2.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy("exponential", 1, 3_600_001, 3_600_001, 2.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy("exponential", 1, 1_000, 999, 2.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy("exponential", 1, 1_000, 86_400_001, 2.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy("exponential", 1, 1_000, 2_000, 0.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy("sometimes", 1, 1_000, 2_000, 2.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy("none", 1, 1_000, 2_000, 2.0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> exponential.delayBeforeRetry(0, new SplittableRandom(1))).isInstanceOf(IllegalArgumentException.class);
  }

  /** nextLong(bound) answers min(value, bound - 1): the ends of the jitter range on demand. */
  private record FixedRandom(long value) implements RandomGenerator {
    @Override
    public long nextLong() {
      return value;
    }

    @Override
    public long nextLong(long bound) {
      return Math.min(value, bound - 1);
    }
  }

  @Test
  void retriesTimeoutsAndTransportFailuresByDefaultAndToolErrorsOnlyWhenListed() {
    RetryPolicy defaults = new RetryPolicy("fixed", 2, 100, 100, 1.0);
    assertThat(defaults.retriesOn(RetryPolicy.TIMEOUT)).isTrue();
    assertThat(defaults.retriesOn(RetryPolicy.TRANSPORT)).isTrue();
    assertThat(defaults.retriesOn(RetryPolicy.TOOL_ERROR)).isFalse();

    RetryPolicy step = RetryPolicy.overlay(Fixtures.json("{'retryOn': ['tool_error']}"), defaults);
    assertThat(step.retriesOn(RetryPolicy.TOOL_ERROR)).isTrue();
    assertThat(step.retriesOn(RetryPolicy.TIMEOUT)).as("the list replaces the default").isFalse();
    assertThat(step.toJson().path("retryOn").get(0).asString()).isEqualTo("tool_error");
    assertThatThrownBy(() -> new RetryPolicy("fixed", 1, 100, 100, 1.0, java.util.Set.of("missing_path")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retryOn");
  }
}
