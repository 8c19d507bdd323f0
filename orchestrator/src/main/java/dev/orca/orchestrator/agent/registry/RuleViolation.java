package dev.orca.orchestrator.agent.registry;

/**
 * One broken registry rule.
 *
 * @param pointer JSON pointer into the request body ({@code ""} for the whole body)
 * @param rule the rule's name; the agent type rules carry the name of the CHECK constraint that backs them
 * @param message what to change, for a person
 */
public record RuleViolation(String pointer, String rule, String message) {}
