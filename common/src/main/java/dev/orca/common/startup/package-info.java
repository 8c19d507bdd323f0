/**
 * Start-up checks shared by every service: reach PostgreSQL and Kafka, wait for the schema version,
 * and turn a misconfiguration into one line that says what to fix instead of a stack trace.
 */
package dev.orca.common.startup;
