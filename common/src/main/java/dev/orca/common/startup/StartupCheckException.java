package dev.orca.common.startup;

/** A start-up check failed; {@link #problem} and {@link #fix} are shown to the operator as they are. */
public final class StartupCheckException extends RuntimeException {
  private final String problem;
  private final String fix;

  public StartupCheckException(String problem, String fix, Throwable cause) {
    super(problem, cause);
    this.problem = problem;
    this.fix = fix;
  }

  public String problem() {
    return problem;
  }

  public String fix() {
    return fix;
  }
}
