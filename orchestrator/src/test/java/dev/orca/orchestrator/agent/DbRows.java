package dev.orca.orchestrator.agent;

import dev.orca.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/** The first column of every row of a query, as text (JDBC; tests only). */
final class DbRows {
  private DbRows() {}

  static List<String> of(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
      return rows;
    }
  }
}
