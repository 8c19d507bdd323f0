package dev.orca.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** One PostgreSQL database a test may use, with the URL forms each client wants. */
public record TestDatabase(String host, int port, String name, String username, String password) {

  /** The form services read from {@code ORCA_DB_URL}: {@code postgresql://host:port/name}. */
  public String url() {
    return "postgresql://" + host + ":" + port + "/" + name;
  }

  public String jdbcUrl() {
    return "jdbc:" + url();
  }

  public String r2dbcUrl() {
    return "r2dbc:" + url();
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), username, password);
  }

  /** The first column of every row the query returns, as text, in the query's order. */
  public List<String> column(String sql) throws SQLException {
    try (Connection c = connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
      return rows;
    }
  }
}
