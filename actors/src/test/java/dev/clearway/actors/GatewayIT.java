package dev.clearway.actors;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the integration tests that need one running gateway per test class: started before the
 * first test in a fresh data directory, stopped after the last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class GatewayIT {
  @TempDir protected static Path dataDir;
  protected GatewayFixture gateway;

  /** The MQTT port: 8883 for the Azure SDK, which always dials it; 0 (any free port) otherwise. */
  protected int port() {
    return 8883;
  }

  /** Extra HOCON for this class's gateway. */
  protected String extraConfig() {
    return "";
  }

  @BeforeAll
  void startGateway() throws Exception {
    gateway = GatewayFixture.start(dataDir, port(), extraConfig());
  }

  @AfterAll
  void stopGateway() {
    if (gateway != null) {
      gateway.close();
    }
  }
}
