package io.meshdns.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshdns.core.ConfigException;
import io.meshdns.server.config.ServerConfig;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin listener with {@code admin.tokenFile}: /api/* answers only a request bearing that token. */
class AdminTokenTest {
    static final String TOKEN = "s3cret-token-for-tests";

    @TempDir
    static Path dir;

    static TwoClusterMesh mesh;
    static HttpFetch admin;

    @BeforeAll
    static void start() throws Exception {
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, TOKEN + "\n"); // as `kubectl create secret --from-file` often leaves it
        ServerConfig config = ServerConfig.defaults()
                .withAdmin(new ServerConfig.Admin(ServerConfig.LOOPBACK_IPV4, 0, tokenFile.toString()));
        mesh = new TwoClusterMesh(dir.resolve("kubeconfigs"), config);
        admin = new HttpFetch(mesh.server.adminAddress());
    }

    @AfterAll
    static void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    @Test
    void apiWithoutATokenIs401AskingForIt() {
        HttpResponse<String> response = admin.get("/api/status");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"meshdns\"");
        assertThat(HttpFetch.json(response).get("error").asText())
                .isEqualTo("this API needs the admin bearer token: send 'Authorization: Bearer TOKEN'");
    }

    @Test
    void apiWithAnotherTokenIs401() {
        HttpResponse<String> response = admin.get("/api/services", Map.of("Authorization", "Bearer " + TOKEN + "x"));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(HttpFetch.json(response).get("error").asText()).isEqualTo("the bearer token is not the admin token");
    }

    @Test
    void apiWithTheTokenAnswers() {
        HttpResponse<String> response = admin.get("/api/services", Map.of("Authorization", "Bearer " + TOKEN));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(HttpFetch.json(response).has("items")).isTrue();
    }

    @Test
    void statusPageItselfHoldsNoDataAndLoadsWithoutTheToken() {
        HttpResponse<String> response = admin.get("/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("id=\"token-form\"");
    }

    @Test
    void probesOnTheMetricsListenerNeedNoToken() {
        assertThat(new HttpFetch(mesh.server.httpAddress()).get("/readyz").statusCode())
                .isIn(200, 503);
    }

    @Test
    void emptyTokenFileStopsTheStartWithAConfigError() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty-token"), " \n");
        ServerConfig config = ServerConfig.defaults()
                .withDns("127.0.0.1", 0)
                .withHttp("127.0.0.1", 0)
                .withAdmin(new ServerConfig.Admin(ServerConfig.LOOPBACK_IPV4, 0, empty.toString()));

        assertThatThrownBy(() -> MeshdnsServer.start(config, java.util.List.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("admin.tokenFile " + empty + " is empty: it must hold the admin bearer token");
    }
}
