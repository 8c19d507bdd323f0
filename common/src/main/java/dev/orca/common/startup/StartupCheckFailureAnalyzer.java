package dev.orca.common.startup;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a failed start-up check as its own one-line problem and fix, without the stack trace. */
public final class StartupCheckFailureAnalyzer extends AbstractFailureAnalyzer<StartupCheckException> {
  @Override
  protected FailureAnalysis analyze(Throwable root, StartupCheckException cause) {
    return new FailureAnalysis(cause.problem(), cause.fix(), cause);
  }
}
