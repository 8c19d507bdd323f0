package dev.orca.ingest.http;

import io.micrometer.observation.ObservationPredicate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;

/**
 * No {@code http.server.requests} observation for the webhook endpoints: they are counted and timed
 * by ingest's own metrics ({@code orca_ingest_*}, with the outcome), and the generic observation was
 * about a twentieth of ingest's CPU per webhook. Other paths (actuator, errors) keep theirs.
 */
@Configuration(proxyBeanMethods = false)
class WebhookObservations {

  @Bean
  ObservationPredicate noHttpObservationForWebhooks() {
    return (name, context) -> !(context instanceof ServerRequestObservationContext request
        && request.getCarrier().getPath().value().startsWith("/webhooks/"));
  }
}
