package dev.orca.db;

public final class Schema {
  private Schema() {}
}
