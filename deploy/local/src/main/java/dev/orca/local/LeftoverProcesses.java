package dev.orca.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Remembers the services' process ids in {@code <home>/services.pids}, so that after a launcher killed with SIGKILL the
 * next start names the orphans to stop instead of failing on busy ports.
 */
final class LeftoverProcesses {
  private static final String FILE = "services.pids";

  private LeftoverProcesses() {}

  static void record(Path home, List<ServiceProcess> services) {
    String lines = services.stream()
        .map(s -> s.spec().name() + " " + s.process().pid())
        .collect(Collectors.joining("\n", "", "\n"));
    try {
      Files.writeString(home.resolve(FILE), lines);
    } catch (IOException e) {
      // only a convenience for the next start
    }
  }

  static void clear(Path home) {
    try {
      Files.deleteIfExists(home.resolve(FILE));
    } catch (IOException e) {
      // only a convenience for the next start
    }
  }

  static void requireNone(Path home) {
    Path file = home.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return;
    }
    List<String> alive;
    try {
      alive = Files.readAllLines(file).stream()
          .map(String::trim)
          .filter(line -> line.matches("[\\w-]+ \\d+"))
          .filter(line -> isOurJava(Long.parseLong(line.substring(line.indexOf(' ') + 1))))
          .toList();
    } catch (IOException e) {
      return;
    }
    if (alive.isEmpty()) {
      clear(home);
      return;
    }
    String pids = alive.stream().map(l -> l.substring(l.indexOf(' ') + 1)).collect(Collectors.joining(" "));
    throw new LaunchException("Services from an earlier run are still running (" + String.join(", ", alive)
        + "): stop them with 'kill " + pids + "' and start again");
  }

  private static boolean isOurJava(long pid) {
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    return handle.isPresent() && handle.get().isAlive()
        && handle.get().info().commandLine().map(c -> c.contains(".jar")).orElse(true);
  }
}
