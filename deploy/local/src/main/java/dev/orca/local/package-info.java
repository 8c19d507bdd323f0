/**
 * The local all-in-one launcher: embedded (or external) PostgreSQL and Kafka, then the three services as child JVMs.
 * One command for a laptop or CI; not used in production.
 */
package dev.orca.local;
