package dev.orca.orchestrator.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

class StatementBatcherTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** A statement that answers only when the test says so, recording each batch it got. */
  private static final class GatedStatement {
    final List<List<String>> batches = new CopyOnWriteArrayList<>();
    final List<Sinks.Empty<Void>> gates = new CopyOnWriteArrayList<>();

    Mono<Map<String, String>> run(List<String> batch) {
      batches.add(batch);
      Sinks.Empty<Void> gate = Sinks.empty();
      gates.add(gate);
      Map<String, String> answers = new HashMap<>();
      batch.stream().filter(r -> !r.startsWith("none")).forEach(r -> answers.put(key(r), "done " + r));
      return gate.asMono().then(Mono.just(answers));
    }

    void open(int i) {
      gates.get(i).tryEmitEmpty();
    }
  }

  private static String key(String request) {
    return request.split("#")[0];
  }

  @Test
  void aLoneRequestRunsAtOnceAndRequestsArrivingMeanwhileShareTheNextStatement() {
    GatedStatement statement = new GatedStatement();
    StatementBatcher<String, String, String> batcher = new StatementBatcher<>(64, 1, StatementBatcherTest::key, statement::run);

    Mono<String> first = batcher.submit("a").cache();
    first.subscribe();
    List<Mono<String>> later = new ArrayList<>();
    for (String r : List.of("b", "c", "d")) {
      Mono<String> m = batcher.submit(r).cache();
      m.subscribe();
      later.add(m);
    }
    assertThat(statement.batches).containsExactly(List.of("a"));

    statement.open(0);
    assertThat(first.block(WAIT)).isEqualTo("done a");
    assertThat(statement.batches).containsExactly(List.of("a"), List.of("b", "c", "d"));
    statement.open(1);
    assertThat(Flux.concat(later).collectList().block(WAIT)).containsExactly("done b", "done c", "done d");
  }

  @Test
  void requestsOfOneKeyNeverShareAStatementAndKeepTheirOrder() {
    GatedStatement statement = new GatedStatement();
    StatementBatcher<String, String, String> batcher = new StatementBatcher<>(64, 1, StatementBatcherTest::key, statement::run);

    batcher.submit("x#0").subscribe();
    batcher.submit("a#1").subscribe();
    batcher.submit("a#2").subscribe();
    batcher.submit("b#1").subscribe();
    batcher.submit("a#3").subscribe();
    statement.open(0);
    statement.open(1);
    statement.open(2);

    assertThat(statement.batches).containsExactly(List.of("x#0"), List.of("a#1", "b#1"), List.of("a#2"), List.of("a#3"));
  }

  @Test
  void batchesAreBoundedInSizeAndInConcurrency() {
    GatedStatement statement = new GatedStatement();
    StatementBatcher<String, String, String> batcher = new StatementBatcher<>(2, 2, StatementBatcherTest::key, statement::run);

    for (String r : List.of("a", "b", "c", "d", "e", "f", "g")) {
      batcher.submit(r).subscribe();
    }
    assertThat(statement.batches).containsExactly(List.of("a"), List.of("b"));
    statement.open(0);
    assertThat(statement.batches).containsExactly(List.of("a"), List.of("b"), List.of("c", "d"));
    statement.open(1);
    statement.open(2);
    assertThat(statement.batches).containsExactly(List.of("a"), List.of("b"), List.of("c", "d"), List.of("e", "f"), List.of("g"));
  }

  @Test
  void aRequestWithoutAnAnswerCompletesEmpty() {
    GatedStatement statement = new GatedStatement();
    StatementBatcher<String, String, String> batcher = new StatementBatcher<>(64, 1, StatementBatcherTest::key, statement::run);

    Mono<String> none = batcher.submit("none").cache();
    none.subscribe();
    statement.open(0);

    assertThat(none.hasElement().block(WAIT)).isFalse();
  }

  @Test
  void whenABatchFailsEachRequestRunsAloneSoOnlyTheRefusedOneFails() {
    List<List<String>> batches = new CopyOnWriteArrayList<>();
    Sinks.Empty<Void> gate = Sinks.empty();
    StatementBatcher<String, String, String> batcher = new StatementBatcher<>(64, 1, StatementBatcherTest::key, batch -> {
      batches.add(batch);
      Mono<Void> wait = batches.size() == 1 ? gate.asMono() : Mono.empty();
      return wait.then(batch.contains("poison")
          ? Mono.error(new IllegalStateException("refused: poison"))
          : Mono.just(Map.of(batch.get(0), "done " + batch.get(0))));
    });

    batcher.submit("first").subscribe();
    Mono<String> good = batcher.submit("good").cache();
    Mono<String> poison = batcher.submit("poison").cache();
    good.subscribe(v -> {}, e -> {});
    poison.subscribe(v -> {}, e -> {});
    gate.tryEmitEmpty();

    assertThat(good.block(WAIT)).isEqualTo("done good");
    assertThatThrownBy(() -> poison.block(WAIT)).hasMessageContaining("refused: poison");
    assertThat(batches).containsExactly(List.of("first"), List.of("good", "poison"), List.of("good"), List.of("poison"));
  }
}
