package dev.orca.orchestrator.definition;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.NullValue;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.cel.runtime.Program;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * Compiles {@code when} expressions in CEL (Common Expression Language, {@code dev.cel}).
 *
 * <p>CEL is side-effect free and sandboxed by construction: it has no reflection, no I/O and no way
 * to name a Java class; only CEL's standard functions and macros ({@code size}, {@code in},
 * {@code has}, {@code exists}, {@code matches} with RE2, …) are declared here, and no proto types.
 * Each known root is a {@code dyn} variable; the result must be a {@code bool}. Expressions are at
 * most {@value #MAX_EXPRESSION_LENGTH} characters and comprehensions stop after
 * {@value #MAX_ITERATIONS} iterations.
 *
 * <p>At evaluation JSON becomes CEL values: objects → maps, arrays → lists, integers → int
 * ({@code long}), other numbers → double, null → {@code null}; ints and doubles compare with each
 * other. A known root absent from the context (e.g. a skipped step's {@code assign}) is {@code null}.
 */
public final class Conditions {
  static final int MAX_EXPRESSION_LENGTH = 2_000;
  static final int MAX_ITERATIONS = 10_000;
  private static final int MAX_CACHED = 10_000;

  private static final CelOptions OPTIONS = CelOptions.current()
      .enableHeterogeneousNumericComparisons(true)
      .maxExpressionCodePointSize(MAX_EXPRESSION_LENGTH)
      .comprehensionMaxIterations(MAX_ITERATIONS)
      .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(OPTIONS).build();
  private static final Map<Set<String>, CelCompiler> COMPILERS = new ConcurrentHashMap<>();
  private static final Map<Key, Compiled> PROGRAMS = new ConcurrentHashMap<>();

  private Conditions() {}

  private record Key(String expression, Set<String> roots) {}

  /**
   * Compiles {@code expression} with {@code knownRoots} declared as variables. Cached per expression and roots.
   *
   * @throws ConditionException if it does not parse, references anything undeclared or is not boolean
   */
  public static Condition compile(String expression, Set<String> knownRoots) throws ConditionException {
    if (expression == null || expression.isBlank()) {
      throw new ConditionException("the condition is empty");
    }
    Key key = new Key(expression, Set.copyOf(new TreeSet<>(knownRoots)));
    Compiled cached = PROGRAMS.get(key);
    if (cached != null) {
      return cached;
    }
    Compiled compiled = doCompile(expression, key.roots());
    if (PROGRAMS.size() >= MAX_CACHED) {
      PROGRAMS.clear();
    }
    PROGRAMS.put(key, compiled);
    return compiled;
  }

  private static Compiled doCompile(String expression, Set<String> roots) {
    CelCompiler compiler = COMPILERS.computeIfAbsent(roots, Conditions::compilerFor);
    CelValidationResult result;
    try {
      result = compiler.compile(expression);
    } catch (RuntimeException e) {
      throw new ConditionException("does not compile: " + e.getMessage(), e);
    }
    if (result.hasError()) {
      throw new ConditionException("does not compile: " + describe(result.getErrors(), roots));
    }
    try {
      CelAbstractSyntaxTree ast = result.getAst();
      return new Compiled(expression, roots, RUNTIME.createProgram(ast));
    } catch (CelValidationException | CelEvaluationException e) {
      throw new ConditionException("does not compile: " + e.getMessage(), e);
    }
  }

  private static CelCompiler compilerFor(Set<String> roots) {
    CelCompilerBuilder builder = CelCompilerFactory.standardCelCompilerBuilder()
        .setOptions(OPTIONS)
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .setResultType(SimpleType.BOOL);
    roots.forEach(root -> builder.addVar(root, SimpleType.DYN));
    return builder.build();
  }

  private static String describe(List<CelIssue> issues, Set<String> roots) {
    String text = issues.stream()
        .map(i -> i.getMessage().replace(" (in container '')", "")
            + " (column " + (i.getSourceLocation().getColumn() + 1) + ")")
        .collect(Collectors.joining("; "));
    if (text.contains("undeclared reference")) {
      text += "; known roots here: " + String.join(", ", new TreeSet<>(roots));
    }
    return text;
  }

  /** A compiled expression; thread-safe. */
  private record Compiled(String expression, Set<String> roots, Program program) implements Condition {
    @Override
    public boolean test(JsonNode context) {
      Object result;
      try {
        result = program.eval(name -> {
          if (!roots.contains(name)) {
            return Optional.empty();
          }
          JsonNode value = context == null ? null : context.get(name);
          return Optional.of(value == null || value.isMissingNode() ? NullValue.NULL_VALUE : toCel(value));
        });
      } catch (CelEvaluationException e) {
        throw new ConditionException("when '" + expression + "' failed: " + e.getMessage(), e);
      } catch (RuntimeException e) {
        throw new ConditionException("when '" + expression + "' failed: " + e, e);
      }
      if (result instanceof Boolean b) {
        return b;
      }
      throw new ConditionException("when '" + expression + "' gave " + result + ", not a boolean");
    }
  }

  /** JSON to the values CEL's runtime accepts. */
  static Object toCel(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return NullValue.NULL_VALUE;
    }
    if (node.isString()) {
      return node.asString();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isIntegralNumber()) {
      if (node.canConvertToLong()) {
        return node.longValue();
      }
      BigInteger big = node.bigIntegerValue();
      return big.doubleValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>(node.size());
      node.forEach(item -> list.add(toCel(item)));
      return list;
    }
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      node.properties().forEach(e -> map.put(e.getKey(), toCel(e.getValue())));
      return map;
    }
    return node.toString();
  }
}
