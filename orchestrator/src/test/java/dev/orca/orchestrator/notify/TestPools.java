package dev.orca.orchestrator.notify;

import dev.orca.common.startup.OrcaProperties;
import dev.orca.testsupport.TestDatabase;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.time.Duration;
import org.springframework.r2dbc.core.DatabaseClient;

/** R2DBC pools and LISTEN/NOTIFY clients on a test database, as one orchestrator process has them. */
public final class TestPools {
  private TestPools() {}

  public static ConnectionPool pool(TestDatabase db, int maxSize) {
    return new ConnectionPool(ConnectionPoolConfiguration.builder(ConnectionFactories.get(
            ConnectionFactoryOptions.parse(db.r2dbcUrl()).mutate()
                .option(ConnectionFactoryOptions.USER, db.username())
                .option(ConnectionFactoryOptions.PASSWORD, db.password())
                .build()))
        .maxSize(maxSize).build());
  }

  /** Its own LISTEN connection; NOTIFY through {@code client}. Reconnects within 100 ms to 1 s. */
  public static PgNotifications notifications(TestDatabase db, DatabaseClient client) {
    return new PgNotifications(
        PgNotifications.listenFactory(new OrcaProperties.Db(db.url(), db.username(), db.password(), Duration.ofSeconds(10))),
        client, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(5));
  }
}
