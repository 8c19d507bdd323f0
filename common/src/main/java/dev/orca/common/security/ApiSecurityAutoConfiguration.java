package dev.orca.common.security;

import java.util.List;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.context.annotation.Bean;
import tools.jackson.databind.json.JsonMapper;

/** Protects the management APIs with bearer tokens from {@code orca.api.tokens} (ORCA_API_TOKENS). */
@AutoConfiguration
public class ApiSecurityAutoConfiguration {

  @Bean
  ApiTokenFilter apiTokenFilter(
      @Value("${orca.api.tokens:}") List<String> tokens,
      @Value("${orca.api.protected-paths:/api/**}") List<String> protectedPaths,
      JsonMapper json) {
    ApiTokens parsed = ApiTokens.parse(tokens);
    if (parsed.isEmpty()) {
      LoggerFactory.getLogger(ApiTokenFilter.class)
          .warn("No API tokens configured (ORCA_API_TOKENS): {} will answer 401 to every request", protectedPaths);
    }
    return new ApiTokenFilter(parsed, protectedPaths, json);
  }
}
