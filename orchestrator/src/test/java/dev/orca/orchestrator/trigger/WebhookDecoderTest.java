package dev.orca.orchestrator.trigger;

import static org.assertj.core.api.Assertions.assertThat;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.kafka.CloudEventSerializer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** Records as cloudevents-kafka writes them in binary mode, decoded or refused with a reason. */
class WebhookDecoderTest {
  final WebhookDecoder decoder = new WebhookDecoder(WebhookRecords.JSON);

  @Test
  void decodesAGithubEventAsIngestPublishesIt() {
    CloudEvent event = WebhookRecords.github("com.github.issues.opened", "d-1", WebhookRecords.issueOpened("octo", "app"));
    WebhookDecoder.Decoded decoded = decoder.decode(record(event));
    assertThat(decoded).isInstanceOf(WebhookDecoder.Decoded.Event.class);
    WebhookEvent e = ((WebhookDecoder.Decoded.Event) decoded).event();
    assertThat(e.source()).isEqualTo("github");
    assertThat(e.type()).isEqualTo("com.github.issues.opened");
    assertThat(e.deliveryId()).isEqualTo("d-1");
    assertThat(e.origin()).isEqualTo("https://github.com/octo/app");
    assertThat(e.subject()).isEqualTo("1");
    assertThat(e.payload().path("repository").path("full_name").asString()).isEqualTo("octo/app");
  }

  @Test
  void refusesWhatIsNotAWebhookCloudEventSayingWhy() {
    assertThat(reason(raw("not a cloud event"))).startsWith("not a CloudEvent in binary mode");
    assertThat(reason(record(base("com.example.thing").withData("{}".getBytes()).build())))
        .contains("not a webhook type");
    assertThat(reason(record(base("com.github.issues.opened").withData("text/plain", "hi".getBytes()).build())))
        .contains("is not application/json");
    assertThat(reason(record(base("com.github.issues.opened").withData("application/json", "{nope".getBytes()).build())))
        .startsWith("the value is not JSON");
    assertThat(reason(record(base("com.github.issues.opened").withData("application/json", "[1]".getBytes()).build())))
        .isEqualTo("the value is not a JSON object");
    assertThat(reason(record(base("com.github.issues.opened").build()))).startsWith("no data");
  }

  private String reason(ConsumerRecord<byte[], byte[]> record) {
    WebhookDecoder.Decoded decoded = decoder.decode(record);
    assertThat(decoded).isInstanceOf(WebhookDecoder.Decoded.Undecodable.class);
    return ((WebhookDecoder.Decoded.Undecodable) decoded).reason();
  }

  private static CloudEventBuilder base(String type) {
    return CloudEventBuilder.v1().withId("d-2").withType(type).withSource(URI.create("https://github.com/octo/app"));
  }

  private static ConsumerRecord<byte[], byte[]> record(CloudEvent event) {
    try (CloudEventSerializer serializer = new CloudEventSerializer()) {
      serializer.configure(Map.of(CloudEventSerializer.ENCODING_CONFIG, Encoding.BINARY), false);
      RecordHeaders headers = new RecordHeaders();
      byte[] value = serializer.serialize("t", headers, event);
      ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("t", 0, 0L, "k".getBytes(StandardCharsets.UTF_8), value);
      headers.forEach(h -> record.headers().add(h));
      return record;
    }
  }

  private static ConsumerRecord<byte[], byte[]> raw(String value) {
    return new ConsumerRecord<>("t", 0, 0L, "k".getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
  }
}
