package dev.orca.orchestrator.workflow;

import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/** 404: no such workflow (or version). */
public final class WorkflowNotFoundException extends ErrorResponseException {
  public WorkflowNotFoundException(String detail) {
    super(HttpStatus.NOT_FOUND);
    getBody().setTitle("Workflow not found");
    getBody().setDetail(detail);
  }
}
