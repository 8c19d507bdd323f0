package dev.orca.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Port checks done before anything starts, so a clash ends with one line naming the variable to change. */
final class Ports {
  private Ports() {}

  /** True when nothing listens on {@code port} and it can be bound on every interface. */
  static boolean isFree(int port) {
    if (answers("localhost", port, 200)) {
      return false;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true); // as servers do: connections in TIME_WAIT from a previous run do not block a restart
      socket.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void requireFree(int port, String what, String variable) {
    if (!isFree(port)) {
      throw new LaunchException(
          "Port " + port + " for " + what + " is already in use: stop what listens there or set " + variable + " to a free port");
    }
  }

  /** A port nothing listens on right now (for tests and tools; another process may take it before it is used). */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new LaunchException("No free port: " + e.getMessage(), e);
    }
  }

  /** True when a TCP connection to {@code host:port} succeeds within {@code timeoutMillis}. */
  static boolean answers(String host, int port, int timeoutMillis) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), timeoutMillis);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
