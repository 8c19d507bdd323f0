package dev.orca.testsupport;

import java.util.function.Supplier;

/**
 * A server shared by every test class of a JVM: started on first use, at most once; a failure to
 * start is remembered so later test classes fail at once with the same reason instead of retrying.
 */
final class OnceStarted<T> {
  private final Supplier<T> start;
  private volatile T value;
  private volatile IllegalStateException failure;

  OnceStarted(Supplier<T> start) {
    this.start = start;
  }

  T get() {
    T current = value;
    if (current != null) {
      return current;
    }
    synchronized (this) {
      if (value == null) {
        if (failure != null) {
          throw new IllegalStateException(failure.getMessage(), failure);
        }
        try {
          value = start.get();
        } catch (IllegalStateException e) {
          failure = e;
          throw e;
        }
      }
      return value;
    }
  }
}
