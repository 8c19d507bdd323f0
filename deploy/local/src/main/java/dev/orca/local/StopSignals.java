package dev.orca.local;

import java.util.List;
import sun.misc.Signal;

/**
 * Ctrl-C and SIGTERM run the launcher's orderly stop before the JVM begins to exit. With a plain shutdown hook, the
 * embedded Kafka's own hooks delete its log directory while it is still closing, which floods the console.
 */
final class StopSignals {
  private StopSignals() {}

  static void onStop(Runnable stop) {
    for (String name : List.of("INT", "TERM")) {
      try {
        Signal.handle(new Signal(name), signal -> new Thread(stop, "orca-local-" + name.toLowerCase()).start());
      } catch (IllegalArgumentException e) {
        // signal not available on this platform: the shutdown hook still stops everything
      }
    }
  }
}
