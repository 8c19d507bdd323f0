package dev.orca.db;

/**
 * Facts about the one shared schema, whose Flyway migrations live on the classpath under
 * {@value #LOCATION}.
 *
 * <p>Only the orchestrator applies the migrations. Every other service waits, before serving,
 * until the database reports at least {@link #VERSION} as its applied schema version (the highest
 * successful {@code version} in {@code flyway_schema_history}), so that no service runs against a
 * schema older than the code it was built with.
 */
public final class Schema {

  /**
   * The schema version this build expects: the highest {@code V{n}} among the migrations in
   * {@value #LOCATION}. Services wait for the database to reach this version.
   */
  public static final int VERSION = 11;

  /** Where the migrations are, in Flyway's location syntax. */
  public static final String LOCATION = "classpath:db/migration";

  private Schema() {}
}
