package dev.orca.ingest;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

@SpringBootApplication
@EnableConfigurationProperties(IngestProperties.class)
public class IngestApplication {
  public static void main(String[] args) {
    SpringApplication.run(IngestApplication.class, args);
  }
}
