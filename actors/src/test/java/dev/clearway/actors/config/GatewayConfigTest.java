package dev.clearway.actors.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayConfigTest {

  @TempDir Path dir;

  @Test
  void givenFileIsLayeredOverTheEmbeddedReferenceConf() throws Exception {
    Path f = dir.resolve("g.conf");
    Files.writeString(f, "clearway.routes.a = \"FROM /* INTO $upstream\"");
    Config c = GatewayConfig.load(Optional.of(f), dir);
    assertThat(c.getString("clearway.routes.a")).isEqualTo("FROM /* INTO $upstream");
    assertThat(c.getString("clearway.store-and-forward.time-to-live")).isEqualTo("7200s");
  }

  @Test
  void withoutAFileTheWorkingDirectorysConfApplicationConfIsUsed() throws Exception {
    Files.createDirectories(dir.resolve("conf"));
    Files.writeString(dir.resolve("conf/application.conf"), "clearway.routes.w = \"FROM / INTO $upstream\"");
    assertThat(GatewayConfig.load(Optional.empty(), dir).hasPath("clearway.routes.w")).isTrue();
  }

  @Test
  void withNoFileAtAllOnlyTheEmbeddedDefaultsApply() {
    Config c = GatewayConfig.load(Optional.empty(), dir);
    assertThat(c.getObject("clearway.routes")).isEmpty();
  }

  @Test
  void missingFileIsOneLineNamingIt() {
    Path f = dir.resolve("nope.conf");
    assertThatThrownBy(() -> GatewayConfig.load(Optional.of(f), dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("nope.conf")
        .hasMessageContaining("no such readable file")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void unparseableFileIsOneLineWithTheLine() throws Exception {
    Path f = dir.resolve("bad.conf");
    Files.writeString(f, "clearway {\n routes = {\n");
    assertThatThrownBy(() -> GatewayConfig.load(Optional.of(f), dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad.conf")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }
}
