package dev.orca.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class GatewayApplication {
  /** Reactor Netty's setting for its event-loop threads (server and upstream client share them). */
  static final String IO_THREADS_PROPERTY = "reactor.netty.ioWorkerCount";

  public static void main(String[] args) {
    System.setProperty(IO_THREADS_PROPERTY, String.valueOf(ioThreads(System.getProperty(IO_THREADS_PROPERTY),
        System.getenv("ORCA_GATEWAY_IO_THREADS"), Runtime.getRuntime().availableProcessors())));
    SpringApplication.run(GatewayApplication.class, args);
  }

  /**
   * Event-loop threads: {@code -Dreactor.netty.ioWorkerCount}, else {@code ORCA_GATEWAY_IO_THREADS}, else half
   * the cores (at least one). Reactor Netty's own default, at least 4, oversubscribes small machines: on 2
   * cores a relayed call cost 0.34–0.37 ms of CPU with 4 loops, 0.27 with 2 and 0.19 with 1 (the relay bench),
   * the difference being threads waking and handing work to each other. The loops never block, so half the
   * cores leaves the rest to GC, the JIT, the audit's database I/O and whatever shares the machine.
   */
  static int ioThreads(String property, String env, int cores) {
    String[][] settings = {{"-D" + IO_THREADS_PROPERTY, property}, {"ORCA_GATEWAY_IO_THREADS", env}};
    for (String[] setting : settings) {
      String configured = setting[1];
      if (configured != null && !configured.isBlank()) {
        try {
          int threads = Integer.parseInt(configured.strip());
          if (threads >= 1) {
            return threads;
          }
        } catch (NumberFormatException e) {
          // reported below
        }
        throw new IllegalArgumentException(setting[0] + " must be a whole number of threads, at least 1, not '"
            + configured + "'");
      }
    }
    return Math.max(1, cores / 2);
  }
}
