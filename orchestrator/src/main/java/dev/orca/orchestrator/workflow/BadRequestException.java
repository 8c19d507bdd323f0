package dev.orca.orchestrator.workflow;

import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/** 400 for a bad query parameter (limit, cursor, enabled, version). */
final class BadRequestException extends ErrorResponseException {
  BadRequestException(String detail) {
    super(HttpStatus.BAD_REQUEST);
    getBody().setTitle("Bad request");
    getBody().setDetail(detail);
  }
}
