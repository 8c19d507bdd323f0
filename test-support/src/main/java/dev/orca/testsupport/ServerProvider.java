package dev.orca.testsupport;

/** One path to a server (external, Testcontainers or embedded); a strategy {@link ServerStarter} tries in turn. */
interface ServerProvider<T> {

  /** How this path is named in a failure message, e.g. "the embedded KRaft broker". */
  String description();

  /** Starts (or reaches) the server and checks that it answers. */
  StartedServer<T> start() throws Exception;
}
