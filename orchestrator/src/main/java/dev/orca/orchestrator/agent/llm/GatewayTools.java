package dev.orca.orchestrator.agent.llm;

import dev.orca.orchestrator.agent.registry.Agent;
import dev.orca.orchestrator.agent.runtime.AgentRun;
import dev.orca.orchestrator.agent.runtime.AgentRunStore;
import dev.orca.orchestrator.agent.runtime.AgentSettings;
import dev.orca.orchestrator.agent.llm.Conversation.ToolSpec;
import dev.orca.orchestrator.tool.McpGatewayClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The gateway's tools as a context agent sees them. {@code tools/list} (every page) on the MCP gateway
 * ({@code orca.gateway.url}), then the agent's selection: the tools its {@code llmConfig.tools} names
 * ({@code server.tool} or {@code server.*}) or, without that list, those matching one of its capabilities —
 * the server's name, the tool's full name, or a capability the tool lists in
 * {@code _meta["dev.orca/capabilities"]}. Names are made provider-safe ({@code server.tool} →
 * {@code server__tool}, at most 64 of {@code [A-Za-z0-9_-]}) and mapped back when the model calls them.
 */
@Component
class GatewayTools implements AutoCloseable {
  static final String CAPABILITIES_META = "dev.orca/capabilities";
  private static final int MAX_PAGES = 20;
  private static final int MAX_NAME = 64;

  private final McpGatewayClient gateway;
  private final AgentRunStore runs;
  private final AgentSettings settings;
  private final JsonMapper json;

  GatewayTools(AgentRunStore runs, AgentSettings settings, JsonMapper json,
      @Value("${orca.gateway.url:http://localhost:8081/mcp}") String url,
      @Value("${orca.gateway.token:}") String token,
      @Value("${orca.gateway.initialize-timeout:30s}") Duration initializeTimeout) {
    this.gateway = new McpGatewayClient(url, token, initializeTimeout);
    this.runs = runs;
    this.settings = settings;
    this.json = json;
  }

  /** The tools on offer for {@code run}, ready to be called. */
  Mono<ToolBox> forRun(AgentRun run) {
    return list(null, 0).collectList().map(tools -> {
      Map<String, String> names = new LinkedHashMap<>();
      List<ToolSpec> specs = new ArrayList<>();
      Set<String> taken = new HashSet<>();
      for (JsonNode tool : tools) {
        String full = tool.path("name").asString("");
        if (!full.contains(".") || !selected(run.agent(), full, tool)) {
          continue;
        }
        String safe = safeName(full, taken);
        names.put(safe, full);
        JsonNode schema = tool.path("inputSchema").isObject() ? tool.get("inputSchema")
            : json.createObjectNode().put("type", "object");
        specs.add(new ToolSpec(safe, tool.path("description").asString(null), schema));
      }
      return new ToolBox(gateway, runs, run, List.copyOf(specs), Map.copyOf(names), settings.maxToolResultChars(), json);
    });
  }

  private Flux<JsonNode> list(String cursor, int page) {
    ObjectNode params = json.createObjectNode();
    if (cursor != null) {
      params.put("cursor", cursor);
    }
    return gateway.request("tools/list", params).flatMapMany(result -> {
      Flux<JsonNode> tools = Flux.fromIterable(result.path("tools"));
      String next = result.path("nextCursor").asString(null);
      return next == null || next.isEmpty() || page + 1 >= MAX_PAGES ? tools : tools.concatWith(list(next, page + 1));
    });
  }

  static boolean selected(Agent agent, String full, JsonNode tool) {
    String server = full.substring(0, full.indexOf('.'));
    JsonNode explicit = agent.llmConfig() == null ? null : agent.llmConfig().get("tools");
    if (explicit != null && explicit.isArray()) {
      for (JsonNode pattern : explicit) {
        String p = pattern.asString("");
        if (p.equals(full) || p.equals(server + ".*")) {
          return true;
        }
      }
      return false;
    }
    Set<String> tags = new HashSet<>();
    tool.path("_meta").path(CAPABILITIES_META).forEach(c -> tags.add(c.asString("")));
    for (String capability : agent.capabilities()) {
      if (capability.equals(server) || capability.equals(full) || tags.contains(capability)) {
        return true;
      }
    }
    return false;
  }

  static String safeName(String full, Set<String> taken) {
    String base = full.replace(".", "__").replaceAll("[^A-Za-z0-9_-]", "_");
    if (base.length() > MAX_NAME) {
      base = base.substring(0, MAX_NAME);
    }
    String name = base;
    for (int n = 2; !taken.add(name); n++) {
      String suffix = "_" + n;
      name = base.substring(0, Math.min(base.length(), MAX_NAME - suffix.length())) + suffix;
    }
    return name;
  }

  @Override
  public void close() {
    gateway.close();
  }
}
