package dev.orca.orchestrator.definition;

/**
 * One problem found in a definition.
 *
 * @param pointer a JSON pointer into the definition, e.g. {@code /steps/1/when} ({@code ""} for the whole document)
 * @param message what is wrong, for a person
 */
public record DefinitionProblem(String pointer, String message) {}
