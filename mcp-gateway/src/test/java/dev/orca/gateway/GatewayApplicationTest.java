package dev.orca.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GatewayApplicationTest {
  @Test
  void ioThreadsDefaultToHalfTheCoresAndFollowTheSettings() {
    assertThat(GatewayApplication.ioThreads(null, null, 2)).isEqualTo(1);
    assertThat(GatewayApplication.ioThreads(null, null, 1)).isEqualTo(1);
    assertThat(GatewayApplication.ioThreads(null, " ", 16)).isEqualTo(8);
    assertThat(GatewayApplication.ioThreads(null, "3", 2)).isEqualTo(3);
    assertThat(GatewayApplication.ioThreads("5", "3", 2)).isEqualTo(5);
    assertThatThrownBy(() -> GatewayApplication.ioThreads(null, "many", 2))
        .hasMessageContaining("ORCA_GATEWAY_IO_THREADS").hasMessageContaining("'many'");
    assertThatThrownBy(() -> GatewayApplication.ioThreads("0", null, 2))
        .hasMessageContaining("reactor.netty.ioWorkerCount");
  }
}
