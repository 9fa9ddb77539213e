package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config file: defaults, and errors that name the file, the line and the key. */
class ConfigLoaderTest {
  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    Path file = dir.resolve("meshdns.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @Test
  void minimalConfigGetsTheDocumentedDefaults() throws Exception {
    ServerConfig c = ConfigLoader.load(write("clusters:\n  - id: east\n    kubeconfig: east.kubeconfig\n"));

    assertThat(c.zone()).isEqualTo("clusterset.local");
    assertThat(c.ttl()).isEqualTo(5);
    assertThat(c.dns().port()).isEqualTo(53);
    assertThat(c.http().port()).isEqualTo(9153);
    assertThat(c.admin().bind()).isEqualTo("127.0.0.1");
    assertThat(c.admin().port()).isEqualTo(9154);
    assertThat(c.admin().tokenFile()).isNull();
    assertThat(c.staleAfterDuration()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.loadBalancing().policy()).isEqualTo("local-first");
    assertThat(c.loadBalancing().maxAnswers()).isEqualTo(8);
  }

  @Test
  void kubeconfigPathsAreRelativeToTheConfigFile() throws Exception {
    ServerConfig c = ConfigLoader.load(write("clusters:\n  - id: east\n    kubeconfig: kc/east.kubeconfig\n"));

    assertThat(c.clusterSpecs(dir).get(0).kubeconfig()).isEqualTo(dir.resolve("kc/east.kubeconfig"));
  }

  @Test
  void clusterWithoutKubeconfigTakesItFromTheKubeconfigDirectory() throws Exception {
    ServerConfig c = ConfigLoader.load(write("kubeconfigDir: /etc/meshdns/clusters\nclusters:\n  - id: west\n"));

    assertThat(c.clusterSpecs(dir).get(0).kubeconfig()).isEqualTo(Path.of("/etc/meshdns/clusters/west"));
  }

  @Test
  void missingFileIsNamed() {
    Path missing = dir.resolve("nope.yaml");

    assertThatThrownBy(() -> ConfigLoader.load(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config " + missing + ": file does not exist");
  }

  @Test
  void unknownKeyIsNamedWithItsLineAndTheKnownKeys() throws Exception {
    Path file = write("zone: mesh.example\nclusters:\n  - id: east\n    kubeconfg: east.kubeconfig\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config " + file + ", line 4, key clusters[0].kubeconfg: unknown key")
        .hasMessageContaining("kubeconfig");
  }

  @Test
  void invalidValueIsNamedWithItsLineAndKey() throws Exception {
    Path file = write("clusters:\n  - id: east\n    reachability: nodePort\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config " + file + ", line ")
        .hasMessageContaining("key clusters[0].reachability: must be one of pod, clusterIP, loadBalancer");
  }

  @Test
  void duplicateClusterIdIsRejected() throws Exception {
    Path file = write("clusters:\n  - id: east\n  - id: east\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .hasMessageContaining("key clusters: cluster id 'east' appears twice");
  }

  @Test
  void clusterIdMustBeADnsLabel() throws Exception {
    Path file = write("clusters:\n  - id: East_1\n");

    assertThatThrownBy(() -> ConfigLoader.load(file)).hasMessageContaining("key clusters[0].id:");
  }

  @Test
  void durationsAreGoStyle() throws Exception {
    Path file = write("staleAfter: 5 minutes\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .hasMessageContaining("line 1, key staleAfter: is not a duration like 30s, 5m or 1h");
  }

  @Test
  void wrongTypeIsNamed() throws Exception {
    Path file = write("dns:\n  port: fifty-three\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .hasMessageContaining("line 2, key dns.port: expected a whole number");
  }

  @Test
  void invalidYamlSaysSoWithTheLine() throws Exception {
    Path file = write("zone: clusterset.local\nttl: 'five\n");

    assertThatThrownBy(() -> ConfigLoader.load(file)).hasMessageContaining("not valid YAML");
  }

  @Test
  void errorInAListItemNamesTheLineOfThatItemsKey() throws Exception {
    Path file = write("clusters:\n  - id: east\n  - id: west\n    weight: -1\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .hasMessageContaining("line 4, key clusters[1].weight: must be between 0 and 10000");
  }

  @Test
  void emptyFileIsAnError() throws Exception {
    Path file = write("   \n");

    assertThatThrownBy(() -> ConfigLoader.load(file)).hasMessage("config " + file + ": file is empty");
  }

  @Test
  void sourceCidrsMustBeCidrs() throws Exception {
    Path file = write("clusters:\n  - id: east\n    sourceCidrs: [10.0.0.0/33]\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .hasMessageContaining("key clusters[0].sourceCidrs: '10.0.0.0/33' has a prefix length out of range");
  }

  @Test
  void adminListenerOnAWiderAddressWithoutATokenIsAnErrorNamingTheKey() throws Exception {
    Path file = write("admin:\n  bind: 0.0.0.0\n  port: 9154\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config " + file + ", line 2, key admin.bind: '0.0.0.0' is not a loopback address")
        .hasMessageContaining("admin.tokenFile");
  }

  @Test
  void adminListenerOnAWiderAddressWithATokenFileIsAccepted() throws Exception {
    ServerConfig c = ConfigLoader.load(write("admin:\n  bind: 0.0.0.0\n  tokenFile: secret/token\n"));

    assertThat(c.admin().bind()).isEqualTo("0.0.0.0");
    assertThat(c.admin().resolvedAgainst(dir).tokenFile()).isEqualTo(dir.resolve("secret/token").toString());
  }

  @Test
  void adminBindMustBeAnAddress() throws Exception {
    Path file = write("admin:\n  bind: localhost\n");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config " + file + ", line 2, key admin.bind: ");
  }
}
