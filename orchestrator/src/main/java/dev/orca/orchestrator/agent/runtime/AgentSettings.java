package dev.orca.orchestrator.agent.runtime;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code orca.agents.*}: turn limit and output-token cap for context agents that set none, where mounted
 * secrets live, how much of a tool result the model sees, each provider's base URL for agents that name
 * none (an OpenAI-compatible server such as Ollama: {@code http://localhost:11434/v1}), and the price table
 * ({@code orca.agents.prices.[model].input-per-mtok} / {@code output-per-mtok}, USD per million tokens).
 */
@ConfigurationProperties("orca.agents")
public record AgentSettings(
    @DefaultValue("8") int defaultMaxTurns,
    @DefaultValue("4096") int defaultMaxTokens,
    @DefaultValue("/run/secrets/orca") Path secretsDir,
    @DefaultValue("65536") int maxToolResultChars,
    @DefaultValue("https://api.openai.com/v1") String openaiBaseUrl,
    @DefaultValue("https://api.anthropic.com") String anthropicBaseUrl,
    Map<String, Price> prices) {

  public AgentSettings {
    prices = prices == null ? Map.of() : Map.copyOf(prices);
  }

  /** USD per million input (prompt) and output (completion) tokens. */
  public record Price(BigDecimal inputPerMtok, BigDecimal outputPerMtok) {}

  /** The cost of a run by the price table, or null when the model has no price. */
  BigDecimal cost(String model, long promptTokens, long completionTokens) {
    Price price = model == null ? null : prices.get(model);
    if (price == null) {
      return null;
    }
    BigDecimal in = price.inputPerMtok() == null ? BigDecimal.ZERO : price.inputPerMtok();
    BigDecimal out = price.outputPerMtok() == null ? BigDecimal.ZERO : price.outputPerMtok();
    return in.multiply(BigDecimal.valueOf(promptTokens)).add(out.multiply(BigDecimal.valueOf(completionTokens)))
        .divide(BigDecimal.valueOf(1_000_000), 6, RoundingMode.HALF_UP);
  }
}
