package dev.orca.orchestrator.notify;

import dev.orca.common.startup.OrcaProperties;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.postgresql.api.Notification;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.postgresql.api.PostgresqlResult;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * PostgreSQL LISTEN/NOTIFY. All channels share one dedicated connection (not from the pool), opened
 * when the first channel is listened to; if it drops (database restart, killed backend, network), it
 * is reopened with backoff and every channel is LISTENed again. Notifications sent while no
 * connection was listening are lost — which is why {@link #events} tells subscribers each time LISTEN
 * (re)became active, so they can re-read whatever state the notifications point at.
 *
 * <p>NOTIFY goes through the normal pool ({@code SELECT pg_notify($1, $2)}); inside a transaction it
 * is delivered on commit.
 */
@Component
public class PgNotifications implements DisposableBean {
  private static final Logger log = LoggerFactory.getLogger(PgNotifications.class);
  private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  /** What the LISTEN connection calls itself in {@code pg_stat_activity}. */
  public static final String APPLICATION_NAME = "orca-listen";
  private static final int SUBSCRIBER_BUFFER = 4096;

  /** What one channel's subscribers receive. */
  public sealed interface Notice {
    /** LISTEN on the channel is (again) active: notifications may have been missed before this. */
    record Listening() implements Notice {}

    /** A notification's payload ({@code ""} when NOTIFY had none). */
    record Payload(String value) implements Notice {}
  }

  private static final Notice LISTENING = new Notice.Listening();

  private final PostgresqlConnectionFactory listenFactory;
  private final DatabaseClient db;
  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final Duration probeInterval;

  private final Map<String, ChannelState> channels = new ConcurrentHashMap<>();
  private final AtomicReference<PostgresqlConnection> current = new AtomicReference<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean failing = new AtomicBoolean();
  private volatile Disposable session;
  private volatile boolean closed;

  @Autowired
  public PgNotifications(OrcaProperties properties, DatabaseClient db) {
    this(listenFactory(properties.db()), db, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(30));
  }

  public PgNotifications(PostgresqlConnectionFactory listenFactory, DatabaseClient db, Duration minBackoff,
      Duration maxBackoff, Duration probeInterval) {
    this.listenFactory = listenFactory;
    this.db = db;
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
    this.probeInterval = probeInterval;
  }

  /** A connection factory for the LISTEN connection from {@code orca.db.*} ({@code postgresql://host:port/db}). */
  public static PostgresqlConnectionFactory listenFactory(OrcaProperties.Db db) {
    ConnectionFactoryOptions options = ConnectionFactoryOptions.parse("r2dbc:" + db.url()).mutate()
        .option(ConnectionFactoryOptions.USER, db.user())
        .option(ConnectionFactoryOptions.PASSWORD, db.password())
        .option(ConnectionFactoryOptions.CONNECT_TIMEOUT, Duration.ofSeconds(10))
        .option(PostgresqlConnectionFactoryProvider.APPLICATION_NAME, APPLICATION_NAME)
        .build();
    return new PostgresqlConnectionFactoryProvider().create(options);
  }

  /** The payloads of notifications on {@code channel}, from the moment LISTEN on it is active. */
  public Flux<String> listen(String channel) {
    return events(channel).ofType(Notice.Payload.class).map(Notice.Payload::value);
  }

  /**
   * Payloads on {@code channel}, plus a {@link Notice.Listening} first when LISTEN is active (right
   * away if it already is) and again after every reconnection. Never completes; a subscriber slower
   * than {@value #SUBSCRIBER_BUFFER} notifications loses the oldest.
   */
  public Flux<Notice> events(String channel) {
    requireChannel(channel);
    return Flux.defer(() -> {
      ChannelState state = channels.computeIfAbsent(channel, ChannelState::new);
      ensureSession();
      PostgresqlConnection connection = current.get();
      if (connection != null && !state.listening) {
        listenOn(connection, state).subscribe(v -> {}, e -> log.debug("LISTEN {} failed; the reconnection will retry", channel, e));
      }
      // Subscribe to the sink first, then look: a Listening emitted in between is seen twice, never missed.
      return state.sink.asFlux()
          .onBackpressureBuffer(SUBSCRIBER_BUFFER,
              dropped -> log.warn("A slow subscriber of {} dropped a notification", channel),
              BufferOverflowStrategy.DROP_OLDEST)
          .mergeWith(Mono.fromSupplier(() -> state.listening ? LISTENING : null));
    });
  }

  /** Sends a notification through the normal pool ({@code SELECT pg_notify($1, $2)}). */
  public Mono<Void> notify(String channel, String payload) {
    requireChannel(channel);
    return db.sql("SELECT pg_notify($1, $2)").bind(0, channel).bind(1, payload == null ? "" : payload).then();
  }

  @Override
  public void destroy() {
    closed = true;
    Disposable s = session;
    if (s != null) {
      s.dispose();
    }
  }

  private void ensureSession() {
    if (closed || !started.compareAndSet(false, true)) {
      return;
    }
    session = Flux.defer(this::connectOnce)
        // A connection that ends for any reason is lost: reconnect, with backoff reset by a success.
        .concatWith(Mono.error(() -> new IllegalStateException("LISTEN connection closed")))
        .retryWhen(Retry.backoff(Long.MAX_VALUE, minBackoff).maxBackoff(maxBackoff).transientErrors(true)
            .filter(e -> !closed)
            .doBeforeRetry(signal -> {
              if (failing.compareAndSet(false, true)) {
                log.warn("LISTEN connection to PostgreSQL lost ({}); reconnecting with backoff", signal.failure().toString());
              }
            }))
        .subscribe(v -> {}, e -> {
          if (!closed) {
            log.error("LISTEN connection gave up", e);
          }
        });
  }

  /** One connection's life: LISTEN every known channel, dispatch its notifications until it fails. */
  private Flux<Object> connectOnce() {
    return Flux.usingWhen(listenFactory.create(),
        connection -> {
          current.set(connection);
          Flux<Object> notifications = connection.getNotifications().doOnNext(this::dispatch).cast(Object.class);
          Mono<Object> listenAll = Flux.fromIterable(List.copyOf(channels.values()))
              .concatMap(state -> listenOn(connection, state))
              .then(Mono.fromSupplier(() -> {
                if (failing.compareAndSet(true, false)) {
                  log.info("LISTEN connection to PostgreSQL re-established; listening on {}", channels.keySet());
                }
                return (Object) Boolean.TRUE; // a success: resets the backoff
              }));
          // A half-open TCP connection would never error by itself: probe it.
          Flux<Object> probe = Flux.interval(probeInterval, probeInterval)
              .concatMap(tick -> connection.createStatement("SELECT 1").execute()
                  .flatMap(PostgresqlResult::getRowsUpdated).then().timeout(Duration.ofSeconds(10)))
              .ofType(Object.class);
          return Flux.merge(notifications, listenAll, probe);
        },
        this::release,
        (connection, error) -> release(connection),
        this::release);
  }

  private Mono<Void> release(PostgresqlConnection connection) {
    current.compareAndSet(connection, null);
    channels.values().forEach(state -> state.listening = false);
    return connection.close().onErrorResume(e -> Mono.empty());
  }

  private Mono<Void> listenOn(PostgresqlConnection connection, ChannelState state) {
    return connection.createStatement("LISTEN \"" + state.channel + "\"").execute()
        .flatMap(PostgresqlResult::getRowsUpdated)
        .then(Mono.fromRunnable(() -> {
          if (current.get() == connection) {
            state.listening = true;
            state.emit(LISTENING);
          }
        }));
  }

  private void dispatch(Notification notification) {
    ChannelState state = channels.get(notification.getName());
    if (state != null) {
      state.emit(new Notice.Payload(Objects.requireNonNullElse(notification.getParameter(), "")));
    }
  }

  private static void requireChannel(String channel) {
    if (channel == null || !CHANNEL.matcher(channel).matches()) {
      throw new IllegalArgumentException("Not a channel name Orca uses: " + channel);
    }
  }

  private static final class ChannelState {
    final String channel;
    final Sinks.Many<Notice> sink = Sinks.many().multicast().directBestEffort();
    volatile boolean listening;

    ChannelState(String channel) {
      this.channel = channel;
    }

    synchronized void emit(Notice notice) {
      sink.tryEmitNext(notice); // FAIL_ZERO_SUBSCRIBER is fine: nobody is waiting
    }
  }
}
