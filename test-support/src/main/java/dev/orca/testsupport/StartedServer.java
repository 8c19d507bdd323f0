package dev.orca.testsupport;

/**
 * A server one path provided.
 *
 * @param endpoint how clients reach it
 * @param detail what it is, for the log line (e.g. "zonky 17.6")
 * @param stopper stops it when the test JVM exits; a no-op for external servers
 */
record StartedServer<T>(T endpoint, String detail, AutoCloseable stopper) {}
