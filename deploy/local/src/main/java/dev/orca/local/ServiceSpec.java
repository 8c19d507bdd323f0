package dev.orca.local;

import java.nio.file.Path;

/** One of the three services: its Maven module (jar {@code <module>/target/<module>.jar}), port, and the variable that moves the port. */
record ServiceSpec(String name, int port, String portVariable) {

  Path jar(Path repoRoot) {
    return repoRoot.resolve(name).resolve("target").resolve(name + ".jar");
  }

  String url() {
    return "http://localhost:" + port;
  }
}
