package dev.orca.common.startup;

import dev.orca.db.Schema;
import io.r2dbc.spi.ConnectionFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** Registers the start-up checks a service asks for with {@code orca.schema.await} / {@code orca.kafka.check-on-startup}. */
@AutoConfiguration
@EnableConfigurationProperties(OrcaProperties.class)
public class StartupChecksAutoConfiguration {

  @Bean
  @ConditionalOnProperty(name = "orca.schema.await", havingValue = "true")
  SchemaGate schemaGate(ConnectionFactory connections, OrcaProperties properties) {
    return new SchemaGate(connections, Schema.VERSION, properties);
  }

  @Bean
  @ConditionalOnClass(name = "org.apache.kafka.clients.admin.Admin")
  @ConditionalOnProperty(name = "orca.kafka.check-on-startup", havingValue = "true")
  KafkaStartupCheck kafkaStartupCheck(OrcaProperties properties) {
    return new KafkaStartupCheck(properties.kafka());
  }
}
