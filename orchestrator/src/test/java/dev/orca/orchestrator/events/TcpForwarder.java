package dev.orca.orchestrator.events;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Forwards connections on a local port to another address: a broker address that starts answering
 * when this opens. (Kafka clients bootstrap through it, then reach the broker it advertises directly.)
 */
final class TcpForwarder implements AutoCloseable {
  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  TcpForwarder(int port, String targetHost, int targetPort) throws IOException {
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress("localhost", port));
    Thread acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          Socket target = new Socket(targetHost, targetPort);
          sockets.add(client);
          sockets.add(target);
          pipe(client, target);
          pipe(target, client);
        } catch (IOException e) {
          return;
        }
      }
    }, "tcp-forwarder-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private static void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // one side closed
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }, "tcp-forwarder-pipe");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
