package dev.orca.orchestrator.agent.runtime;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/** What a run consumed and did so far: tokens as the provider reported them, and the tool calls made. */
public final class Ledger {
  private final String model;
  private long promptTokens;
  private long completionTokens;
  private boolean usageReported;
  private final List<ObjectNode> toolCalls = new ArrayList<>();

  Ledger(String model) {
    this.model = model;
  }

  /** The model named in the agent's llm_config; null for api and external agents. */
  public String model() {
    return model;
  }

  public synchronized void addUsage(long prompt, long completion) {
    promptTokens += Math.max(0, prompt);
    completionTokens += Math.max(0, completion);
    usageReported = true;
  }

  public synchronized void toolCall(ObjectNode call) {
    toolCalls.add(call);
  }

  synchronized long promptTokens() {
    return promptTokens;
  }

  synchronized long completionTokens() {
    return completionTokens;
  }

  synchronized boolean usageReported() {
    return usageReported;
  }

  synchronized List<ObjectNode> toolCalls() {
    return List.copyOf(toolCalls);
  }
}
