package dev.orca.gateway.testmcp;

import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncToolSpecification;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.Filter;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * A legacy-era (sessions, {@code initialize}) MCP server built on the official MCP Java SDK: its
 * {@link HttpServletStreamableServerTransportProvider} in an embedded Tomcat on {@code 127.0.0.1} and a
 * random port. A filter in front records every JSON-RPC body ({@link #bodies()}, e.g. to see
 * {@code notifications/cancelled} arrive) and, with {@link #requireToken}, answers 401 without
 * {@code Authorization: Bearer <token>}.
 */
public final class SdkMcpServer implements AutoCloseable {
  private final Tomcat tomcat;
  private final McpAsyncServer server;
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private volatile String token;

  private SdkMcpServer(List<AsyncToolSpecification> tools) throws Exception {
    HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
        .mcpEndpoint("/mcp")
        .build();
    Path base = Files.createTempDirectory("sdk-mcp");
    tomcat = new Tomcat();
    tomcat.setBaseDir(base.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", base.toString());
    Wrapper servlet = Tomcat.addServlet(context, "mcp", transport);
    servlet.setAsyncSupported(true);
    context.addServletMappingDecoded("/mcp", "mcp");
    FilterDef filter = new FilterDef();
    filter.setFilterName("record");
    filter.setFilter(recorder());
    filter.setAsyncSupported("true");
    context.addFilterDef(filter);
    FilterMap map = new FilterMap();
    map.setFilterName("record");
    map.addURLPattern("/*");
    context.addFilterMap(map);
    tomcat.start();
    server = McpServer.async(transport)
        .serverInfo("sdk-upstream", "1.0.0")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .tools(tools)
        .build();
  }

  /** Starts a server with these tools. */
  public static SdkMcpServer start(List<AsyncToolSpecification> tools) {
    try {
      return new SdkMcpServer(tools);
    } catch (Exception e) {
      throw new IllegalStateException("could not start the SDK MCP server", e);
    }
  }

  /** The MCP endpoint, {@code http://127.0.0.1:PORT/mcp}. */
  public String url() {
    return "http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + "/mcp";
  }

  /** From now on every request needs {@code Authorization: Bearer token}. */
  public SdkMcpServer requireToken(String token) {
    this.token = token;
    return this;
  }

  /** Adds a tool while running; the SDK then announces {@code notifications/tools/list_changed}. */
  public void addTool(AsyncToolSpecification tool) {
    server.addTool(tool).block(java.time.Duration.ofSeconds(10));
  }

  /** Every POSTed body, in arrival order. */
  public List<String> bodies() {
    return List.copyOf(bodies);
  }

  private Filter recorder() {
    return (request, response, chain) -> {
      HttpServletRequest http = (HttpServletRequest) request;
      String required = token;
      if (required != null && !("Bearer " + required).equals(http.getHeader("Authorization"))) {
        ((HttpServletResponse) response).sendError(401);
        return;
      }
      if (!"POST".equals(http.getMethod())) {
        chain.doFilter(request, response);
        return;
      }
      byte[] body = http.getInputStream().readAllBytes();
      bodies.add(new String(body, StandardCharsets.UTF_8));
      chain.doFilter(new Replayed(http, body), response);
    };
  }

  @Override
  public void close() {
    server.closeGracefully().onErrorComplete().block(java.time.Duration.ofSeconds(5));
    try {
      tomcat.stop();
      tomcat.destroy();
    } catch (LifecycleException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The request with its body read already, served again to the SDK's servlet. */
  private static final class Replayed extends HttpServletRequestWrapper {
    private final byte[] body;

    Replayed(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public int read() {
          return in.read();
        }

        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new UnsupportedOperationException();
        }
      };
    }

    @Override
    public BufferedReader getReader() {
      return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8));
    }
  }
}
