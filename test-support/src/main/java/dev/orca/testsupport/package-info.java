/**
 * Real PostgreSQL and Kafka for integration tests, started once per test JVM: servers named by environment,
 * Testcontainers when Docker answers, or embedded servers; never a skip, always a clear reason when none can be had.
 */
package dev.orca.testsupport;
