/** Real PostgreSQL and Kafka for integration tests. */
package dev.orca.testsupport;
