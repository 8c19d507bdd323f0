package dev.orca.orchestrator.workflow;

import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/** 409: a workflow with that name exists (the store maps the unique violation, SQLState 23505, to this). */
public final class WorkflowAlreadyExistsException extends ErrorResponseException {
  private final String name;

  public WorkflowAlreadyExistsException(String name, Throwable cause) {
    super(HttpStatus.CONFLICT, cause);
    this.name = name;
    getBody().setTitle("Workflow already exists");
    getBody().setDetail("A workflow named '" + name + "' already exists; PUT /api/v1/workflows/" + name
        + " makes a new version of it.");
  }

  public String name() {
    return name;
  }
}
