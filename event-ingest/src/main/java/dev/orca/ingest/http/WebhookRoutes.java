package dev.orca.ingest.http;

import dev.orca.ingest.Source;
import org.springframework.boot.reactor.netty.NettyRouteProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code POST /webhooks/github}, {@code /webhooks/linear}, {@code /webhooks/slack} (DESIGN §5), served
 * by Reactor Netty ahead of WebFlux ({@link WebhookHandler}); every other path, and other methods on
 * these, go on to WebFlux as before.
 */
@Configuration(proxyBeanMethods = false)
public class WebhookRoutes {

  @Bean
  NettyRouteProvider webhookEndpoints(WebhookHandler handler) {
    return routes -> {
      for (Source source : Source.values()) {
        routes.post("/webhooks/" + source.id(), (request, response) -> handler.handle(request, response, source));
      }
      return routes;
    };
  }
}
