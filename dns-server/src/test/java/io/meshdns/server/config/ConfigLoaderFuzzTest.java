package io.meshdns.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.meshdns.core.ConfigException;

/**
 * Coverage-guided fuzzing of the config loader: any text either loads or fails with one
 * {@link ConfigException} whose message names the source; nothing else escapes (no NullPointerException,
 * no IllegalArgumentException from a value check, no stack overflow on deep YAML). {@code ./mvnw verify}
 * replays the committed corpus ({@code src/test/resources/io/meshdns/server/config/ConfigLoaderFuzzTestInputs/});
 * {@code JAZZER_FUZZ=1} fuzzes.
 */
class ConfigLoaderFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void anyTextLoadsOrIsOneConfigErrorNamingTheFile(@NotNull String yaml) {
        try {
            ServerConfig config = ConfigLoader.parse("fuzz.yaml", yaml);
            assertThat(config.zone()).isNotEmpty();
            assertThat(config.dns()).isNotNull();
            assertThat(config.clusters()).isNotNull();
        } catch (ConfigException e) {
            assertThat(e.getMessage()).startsWith("config fuzz.yaml");
        }
    }
}
