/**
 * PostgreSQL LISTEN/NOTIFY as reactive streams: one dedicated, self-healing LISTEN connection per
 * process shared by every channel, and NOTIFY through the normal pool.
 */
package dev.orca.orchestrator.notify;
