package dev.orca.orchestrator.workflow;

import java.util.List;

/** A page of the workflow list; {@code nextCursor} is null on the last page. */
public record WorkflowPage(List<Workflow> items, String nextCursor) {}
