package dev.orca.orchestrator.workflow;

import java.net.URI;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/workflows} (DESIGN §5). Bodies are read as JSON trees so one 400 can list every problem. */
@RestController
@RequestMapping("/api/v1/workflows")
class WorkflowController {
  private final WorkflowService workflows;

  WorkflowController(WorkflowService workflows) {
    this.workflows = workflows;
  }

  @PostMapping
  Mono<ResponseEntity<Workflow>> create(@RequestBody JsonNode body) {
    return workflows.create(body)
        .map(w -> ResponseEntity.created(URI.create("/api/v1/workflows/" + w.name())).body(w));
  }

  @GetMapping
  Mono<WorkflowPage> list(@RequestParam(required = false) String limit, @RequestParam(required = false) String cursor,
      @RequestParam(required = false) String enabled) {
    return workflows.list(limit, cursor, enabled);
  }

  @GetMapping("/{name}")
  Mono<Workflow> get(@PathVariable String name) {
    return workflows.get(name);
  }

  @GetMapping("/{name}/versions/{version}")
  Mono<WorkflowVersion> version(@PathVariable String name, @PathVariable String version) {
    int n;
    try {
      n = Integer.parseInt(version);
    } catch (NumberFormatException e) {
      return Mono.error(new BadRequestException("a version is a positive integer; got '" + version + "'"));
    }
    return workflows.getVersion(name, n);
  }

  @PutMapping("/{name}")
  Mono<Workflow> update(@PathVariable String name, @RequestBody JsonNode body) {
    return workflows.update(name, body);
  }

  @DeleteMapping("/{name}")
  Mono<ResponseEntity<Void>> disable(@PathVariable String name) {
    return workflows.disable(name).then(Mono.just(ResponseEntity.noContent().<Void>build()));
  }
}
