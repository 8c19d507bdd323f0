package dev.orca.ingest.publish;

import dev.orca.ingest.provider.Webhook;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.kafka.CloudEventSerializer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.springframework.stereotype.Component;

/**
 * Turns a webhook into its Kafka record through cloudevents-kafka's serializer in binary mode:
 * {@code ce_specversion 1.0}, {@code ce_id} the delivery id, {@code ce_source}, {@code ce_type},
 * {@code ce_subject} (when there is one), {@code ce_time} (when ingest received it),
 * {@code content-type: application/json}, and the raw body as the value.
 */
@Component
public class CloudEventRecords {
  private final CloudEventSerializer serializer = new CloudEventSerializer();

  public CloudEventRecords() {
    serializer.configure(Map.of(CloudEventSerializer.ENCODING_CONFIG, Encoding.BINARY), false);
  }

  public OutgoingRecord of(Webhook webhook) {
    CloudEventBuilder builder = CloudEventBuilder.v1()
        .withId(webhook.deliveryId())
        .withSource(webhook.origin())
        .withType(webhook.type())
        .withTime(webhook.receivedAt().atOffset(ZoneOffset.UTC))
        .withDataContentType("application/json")
        .withData(webhook.body());
    if (webhook.subject() != null) {
      builder.withSubject(webhook.subject());
    }
    CloudEvent event = builder.build();
    String topic = webhook.source().topic();
    RecordHeaders headers = new RecordHeaders();
    byte[] value = serializer.serialize(topic, headers, event);
    Map<String, String> named = new LinkedHashMap<>();
    for (Header header : headers) {
      named.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
    }
    return new OutgoingRecord(webhook.source(), webhook.deliveryId(), topic, webhook.key(), named, value);
  }
}
