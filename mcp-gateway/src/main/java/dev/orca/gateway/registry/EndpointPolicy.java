package dev.orca.gateway.registry;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Where upstream endpoints may point (SSRF guard). A URL must be absolute http(s), its host must be on
 * {@code orca.gateway.upstream.allowed-hosts} (exact, or {@code *.example.com}; empty refuses all), and
 * every address the host resolves to must be public — loopback, link-local (incl. cloud metadata
 * 169.254.169.254), private, carrier-grade NAT, unique-local, multicast and unspecified addresses are
 * refused unless inside {@code orca.gateway.upstream.allowed-networks} (CIDRs, e.g. {@code 10.0.0.0/8}).
 * Checked on registration and again each time the registry (re)builds an upstream.
 */
@Component
public class EndpointPolicy {
  private final List<String> allowedHosts;
  private final List<IpSubnetFilterRule> allowedNetworks;

  public EndpointPolicy(
      @Value("${orca.gateway.upstream.allowed-hosts:}") List<String> allowedHosts,
      @Value("${orca.gateway.upstream.allowed-networks:}") List<String> allowedNetworks) {
    this.allowedHosts = allowedHosts.stream().map(String::strip).filter(s -> !s.isEmpty())
        .map(s -> s.toLowerCase(Locale.ROOT)).toList();
    this.allowedNetworks = allowedNetworks.stream().map(String::strip).filter(s -> !s.isEmpty())
        .map(EndpointPolicy::subnet).toList();
  }

  private static IpSubnetFilterRule subnet(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("orca.gateway.upstream.allowed-networks: '" + cidr + "' is not a CIDR (a.b.c.d/n)");
    }
    return new IpSubnetFilterRule(cidr.substring(0, slash), Integer.parseInt(cidr.substring(slash + 1)),
        IpFilterRuleType.ACCEPT);
  }

  /** Problems of {@code value} as a URL on an allowed host (no DNS); empty when fine. */
  List<String> urlProblems(String field, String value) {
    List<String> errors = new ArrayList<>();
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      errors.add(field + ": not a valid URL");
      return errors;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
      errors.add(field + ": must be an absolute http(s) URL with a host");
      return errors;
    }
    if (uri.getUserInfo() != null) {
      errors.add(field + ": must not carry credentials (use config.auth with a secret_name)");
    }
    if (value.length() > 500) {
      errors.add(field + ": at most 500 characters");
    }
    String host = host(uri);
    boolean allowed = allowedHosts.stream().anyMatch(entry ->
        entry.startsWith("*.") ? host.endsWith(entry.substring(1)) : host.equals(entry));
    if (!allowed) {
      errors.add(field + ": host '" + host + "' is not in orca.gateway.upstream.allowed-hosts"
          + (allowedHosts.isEmpty() ? " (empty: set ORCA_GATEWAY_UPSTREAM_ALLOWED_HOSTS)" : ""));
    }
    return errors;
  }

  /**
   * Problems of the addresses {@code url}'s host resolves to (an internal address not in an allowed
   * network; with {@code mustResolve}, also a name that does not resolve); empty when fine. Resolves off
   * the event loop.
   */
  Mono<List<String>> addressProblems(String field, String url, boolean mustResolve) {
    return Mono.fromCallable(() -> {
      String host = host(URI.create(url));
      List<String> errors = new ArrayList<>();
      InetAddress[] addresses;
      try {
        addresses = InetAddress.getAllByName(host);
      } catch (UnknownHostException e) {
        if (mustResolve) {
          errors.add(field + ": host '" + host + "' does not resolve");
        }
        return errors;
      }
      for (InetAddress address : addresses) {
        if (internal(address) && allowedNetworks.stream().noneMatch(n -> n.matches(new InetSocketAddress(address, 0)))) {
          errors.add(field + ": host '" + host + "' resolves to the internal address " + address.getHostAddress()
              + ", which is not in orca.gateway.upstream.allowed-networks");
          break;
        }
      }
      return errors;
    }).subscribeOn(Schedulers.boundedElastic());
  }

  private static String host(URI uri) {
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  static boolean internal(InetAddress a) {
    if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isAnyLocalAddress()
        || a.isMulticastAddress()) {
      return true;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet6Address) {
      return (b[0] & 0xfe) == 0xfc; // fc00::/7 unique-local
    }
    int first = b[0] & 0xff;
    int second = b[1] & 0xff;
    return first == 0 || (first == 100 && second >= 64 && second < 128) // 0/8, 100.64/10 carrier-grade NAT
        || (first == 192 && second == 0 && (b[2] & 0xff) == 0) || first >= 240; // 192.0.0/24, reserved
  }
}
