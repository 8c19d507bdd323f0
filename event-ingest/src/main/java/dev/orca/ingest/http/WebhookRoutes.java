package dev.orca.ingest.http;

import dev.orca.ingest.Source;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/** {@code POST /webhooks/github}, {@code /webhooks/linear}, {@code /webhooks/slack} (DESIGN §5). */
@Configuration(proxyBeanMethods = false)
public class WebhookRoutes {

  @Bean
  RouterFunction<ServerResponse> webhookEndpoints(WebhookHandler handler) {
    RouterFunctions.Builder routes = RouterFunctions.route();
    for (Source source : Source.values()) {
      routes.POST("/webhooks/" + source.id(), request -> handler.handle(request, source));
    }
    return routes.build();
  }
}
