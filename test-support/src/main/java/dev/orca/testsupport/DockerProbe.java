package dev.orca.testsupport;

import org.testcontainers.DockerClientFactory;

/** Asks Testcontainers, once per JVM, whether a Docker engine answers. */
final class DockerProbe {
  private static volatile Boolean available;

  private DockerProbe() {}

  static boolean available() {
    Boolean answer = available;
    if (answer == null) {
      synchronized (DockerProbe.class) {
        if (available == null) {
          available = probe();
        }
        answer = available;
      }
    }
    return answer;
  }

  private static boolean probe() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }
}
