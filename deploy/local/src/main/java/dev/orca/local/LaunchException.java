package dev.orca.local;

/** A failure the user can fix; its message is the one line printed, saying what to change. */
final class LaunchException extends RuntimeException {
  LaunchException(String message) {
    super(message);
  }

  LaunchException(String message, Throwable cause) {
    super(message, cause);
  }
}
