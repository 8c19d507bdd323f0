package dev.orca.orchestrator.trigger;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Decodes a record of a webhook topic (DESIGN §6: CloudEvents 1.0 in binary mode, the provider's JSON
 * body as the value) into a {@link WebhookEvent}, or says why it cannot: a bad record is a value here,
 * never an exception that would end the stream. The source is taken from the type's prefix
 * ({@code com.github.} → {@code github}), so topic names stay configurable.
 */
final class WebhookDecoder {
  static final Map<String, String> SOURCES = Map.of("com.github.", "github", "com.linear.", "linear", "com.slack.", "slack");
  static final int MAX_DELIVERY_ID = 255;
  static final int MAX_TYPE = 255;

  private final ObjectMapper json;

  WebhookDecoder(ObjectMapper json) {
    this.json = json;
  }

  /** A decoded event or the reason a record is undecodable. */
  sealed interface Decoded {
    record Event(WebhookEvent event) implements Decoded {}

    record Undecodable(String reason) implements Decoded {}
  }

  Decoded decode(ConsumerRecord<?, byte[]> record) {
    CloudEvent event;
    try {
      event = KafkaMessageFactory.createReader(record).toEvent();
    } catch (RuntimeException e) {
      return bad("not a CloudEvent in binary mode: " + e.getMessage());
    }
    String type = event.getType();
    String source = sourceOf(type);
    if (source == null) {
      return bad("ce_type '" + type + "' is not a webhook type (com.github.*, com.linear.*, com.slack.*)");
    }
    if (type.length() > MAX_TYPE) {
      return bad("ce_type is longer than " + MAX_TYPE + " characters");
    }
    String id = event.getId();
    if (id == null || id.isBlank() || id.length() > MAX_DELIVERY_ID) {
      return bad("ce_id (the delivery id) must be 1 to " + MAX_DELIVERY_ID + " characters");
    }
    String contentType = event.getDataContentType();
    if (contentType != null && !contentType.toLowerCase().startsWith("application/json")) {
      return bad("content type '" + contentType + "' is not application/json");
    }
    if (event.getData() == null) {
      return bad("no data: the value must be the provider's JSON body");
    }
    JsonNode payload;
    try {
      payload = json.readTree(event.getData().toBytes());
    } catch (JacksonException e) {
      return bad("the value is not JSON: " + e.getOriginalMessage());
    }
    if (payload == null || !payload.isObject()) {
      return bad("the value is not a JSON object");
    }
    return new Decoded.Event(new WebhookEvent(source, type, id, String.valueOf(event.getSource()), event.getSubject(), payload));
  }

  static String sourceOf(String type) {
    if (type == null) {
      return null;
    }
    for (Map.Entry<String, String> e : SOURCES.entrySet()) {
      if (type.startsWith(e.getKey()) && type.length() > e.getKey().length()) {
        return e.getValue();
      }
    }
    return null;
  }

  private static Decoded bad(String reason) {
    return new Decoded.Undecodable(reason);
  }
}
