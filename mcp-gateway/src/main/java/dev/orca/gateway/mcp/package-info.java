/**
 * The inbound MCP endpoint {@code POST /mcp}: JSON-RPC 2.0 over Streamable HTTP, answering both the
 * legacy (initialize + session) and the modern stateless (2026-07-28) protocol eras.
 */
package dev.orca.gateway.mcp;
