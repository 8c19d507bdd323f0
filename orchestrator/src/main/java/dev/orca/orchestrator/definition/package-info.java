/**
 * Workflow definitions: the parsed model (steps, retry, error handling), validation at save time
 * (JSON Schema, then semantic checks), {@code ${path}} interpolation and CEL {@code when} conditions.
 */
package dev.orca.orchestrator.definition;
