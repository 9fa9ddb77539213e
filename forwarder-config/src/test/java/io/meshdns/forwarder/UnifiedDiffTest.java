package io.meshdns.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class UnifiedDiffTest {
    @Test
    void showsAnAddedBlockWithThreeLinesOfContext() {
        String diff = UnifiedDiff.of("Corefile", "a\nb\nc\nd\ne\n", "a\nb\nc\nd\ne\nx\ny\n");

        assertThat(diff).isEqualTo("""
        --- a/Corefile
        +++ b/Corefile
        @@ -3,3 +3,5 @@
         c
         d
         e
        +x
        +y
        """);
    }

    @Test
    void marksALastLineWithoutNewline() {
        String diff = UnifiedDiff.of("f", "a\n}", "a\n}\nz\n");

        assertThat(diff).isEqualTo("""
        --- a/f
        +++ b/f
        @@ -1,2 +1,3 @@
         a
        -}
        \\ No newline at end of file
        +}
        +z
        """);
    }

    @Test
    void isEmptyForEqualTexts() {
        assertThat(UnifiedDiff.of("f", "a\n", "a\n")).isEmpty();
    }

    @Test
    void showsACreatedFileAgainstDevNull() {
        assertThat(UnifiedDiff.of("f", null, "a\n")).isEqualTo("--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+a\n");
    }

    @Test
    void splitsDistantChangesIntoSeparateHunks() {
        String before =
                String.join("\n", List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")) + "\n";
        String after = before.replace("2\n", "two\n").replace("11\n", "eleven\n");

        assertThat(UnifiedDiff.of("f", before, after))
                .contains("@@ -1,5 +1,5 @@")
                .contains("@@ -8,5 +8,5 @@");
    }

    static List<String> corefiles() throws IOException {
        return GoldenCorefileTest.corefiles().toList();
    }

    /** GNU patch, a real third-party consumer of the format, must turn each golden Corefile into its patched form. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("corefiles")
    void gnuPatchAppliesTheDiffOfEveryGoldenCorefile(String name, @TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/patch")), "GNU patch is not installed");
        String before = GoldenCorefileTest.read(name + ".Corefile");
        String after = GoldenCorefileTest.read(name + ".patched");
        Path file = dir.resolve("Corefile");
        Files.writeString(file, before, StandardCharsets.UTF_8);
        Path diff = dir.resolve("change.diff");
        Files.writeString(diff, UnifiedDiff.of("Corefile", before, after), StandardCharsets.UTF_8);
        Files.writeString(
                dir.resolve("reverse.diff"), UnifiedDiff.of("Corefile", after, before), StandardCharsets.UTF_8);

        assertThat(run(dir, "patch", "-p1", "-i", "change.diff")).isZero();
        assertThat(Files.readString(file)).isEqualTo(after);
        assertThat(run(dir, "patch", "-p1", "-i", "reverse.diff")).isZero();
        assertThat(Files.readString(file)).isEqualTo(before);
    }

    private static int run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("patch.log").toFile())
                .start();
        int code = p.waitFor();
        if (code != 0) {
            System.err.println(Files.readString(dir.resolve("patch.log")));
        }
        return code;
    }
}
