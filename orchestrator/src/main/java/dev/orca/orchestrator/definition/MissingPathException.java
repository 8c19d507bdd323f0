package dev.orca.orchestrator.definition;

/**
 * A {@code ${path}} has no value in the execution context; fails the step. The message names the
 * path and where it broke, e.g. {@code no value at ${issue.numbr}: 'numbr' not found in issue}.
 */
public final class MissingPathException extends RuntimeException {
  private final String path;

  public MissingPathException(String path, String reason) {
    super("no value at ${" + path + "}: " + reason);
    this.path = path;
  }

  /** The path as written between {@code ${} and {@code }}, e.g. {@code issue.numbr}. */
  public String path() {
    return path;
  }
}
