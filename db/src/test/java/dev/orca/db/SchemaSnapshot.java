package dev.orca.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A textual description of everything in schema {@code public} (Flyway's own history table
 * left out): relations, columns with types, defaults and nullability, constraints, indexes,
 * triggers and functions, each as sorted lines. Two databases have the same schema when
 * their snapshots are equal.
 */
record SchemaSnapshot(Map<String, List<String>> parts) {
  private static final String NOT_FLYWAY = " NOT LIKE 'flyway_schema_history%'";

  private static final Map<String, String> QUERIES = Map.of(
      "relations", """
          SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','S','f') AND c.relname""" + NOT_FLYWAY + """
          ORDER BY 1""",
      "columns", """
          SELECT table_name, ordinal_position, column_name, data_type, udt_name, character_maximum_length,
                 numeric_precision, numeric_scale, is_nullable, column_default, is_generated, generation_expression
          FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name""" + NOT_FLYWAY + """
          ORDER BY 1, 2""",
      "constraints", """
          SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid),
                 c.condeferrable, c.condeferred
          FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
          WHERE n.nspname = 'public' AND c.conrelid::regclass::text""" + NOT_FLYWAY + """
          ORDER BY 1, 2""",
      "indexes", """
          SELECT tablename, indexname, indexdef FROM pg_indexes
          WHERE schemaname = 'public' AND tablename""" + NOT_FLYWAY + """
          ORDER BY 1, 2""",
      "triggers", """
          SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND NOT t.tgisinternal
          ORDER BY 1, 2""",
      "functions", """
          SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid)
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public'
          ORDER BY 1, 2""",
      "sequences", """
          SELECT sequencename, data_type::text, start_value, increment_by, max_value FROM pg_sequences
          WHERE schemaname = 'public' AND sequencename""" + NOT_FLYWAY + """
          ORDER BY 1""");

  static SchemaSnapshot of(Connection c) throws SQLException {
    Map<String, List<String>> parts = new TreeMap<>();
    for (Map.Entry<String, String> q : QUERIES.entrySet()) {
      List<String> lines = new ArrayList<>();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(q.getValue())) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          StringBuilder line = new StringBuilder();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            if (i > 1) {
              line.append(" | ");
            }
            line.append(rs.getString(i));
          }
          lines.add(line.toString());
        }
      }
      parts.put(q.getKey(), List.copyOf(lines));
    }
    return new SchemaSnapshot(Map.copyOf(parts));
  }

  List<String> part(String name) {
    return parts.get(name);
  }
}
