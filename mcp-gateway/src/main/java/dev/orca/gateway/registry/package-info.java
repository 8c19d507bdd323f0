/**
 * The upstream registry: {@code /api/v1/mcp-servers} CRUD over {@code mcp_servers} (validated endpoints on
 * allow-listed hosts, secrets only by name) and {@code GET /api/v1/tools}, the tool catalogue.
 */
package dev.orca.gateway.registry;
