/**
 * Real upstream MCP servers for tests: {@link dev.orca.gateway.testmcp.SdkMcpServer} (legacy era, the
 * official Java SDK on embedded Tomcat) and {@link dev.orca.gateway.testmcp.ModernMcpServer} (2026-07-28).
 */
package dev.orca.gateway.testmcp;
