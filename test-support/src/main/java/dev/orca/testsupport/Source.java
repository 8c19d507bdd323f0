package dev.orca.testsupport;

import java.util.Locale;

/** Where a test server comes from, in the order {@code auto} tries them. */
enum Source {
  /** A server named by environment variables; nothing is started. */
  EXTERNAL,
  /** A container started through Testcontainers on a Docker engine. */
  TESTCONTAINERS,
  /** A server started on this machine: zonky's PostgreSQL binaries, or an in-process KRaft broker. */
  EMBEDDED;

  /** The lower-case name used in {@code ORCA_TEST_SERVERS} and by {@code source()}. */
  String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
