/**
 * The shared PostgreSQL schema: Flyway migrations under {@code db/migration} (plain SQL, applied
 * by the orchestrator) and {@link dev.orca.db.Schema#VERSION}, the version services wait for.
 */
package dev.orca.db;
