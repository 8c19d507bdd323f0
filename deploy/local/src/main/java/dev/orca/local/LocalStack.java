package dev.orca.local;

public final class LocalStack {
  public static void main(String[] args) {}
}
