/** The orchestrator's shared R2DBC helpers: nullable and JSONB parameters, JSONB columns. */
package dev.orca.orchestrator.sql;
