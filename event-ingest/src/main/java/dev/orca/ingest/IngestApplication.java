package dev.orca.ingest;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class IngestApplication {
  public static void main(String[] args) {
    SpringApplication.run(IngestApplication.class, args);
  }
}
