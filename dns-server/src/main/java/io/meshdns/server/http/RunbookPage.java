package io.meshdns.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * docs/runbook.md of this build (copied into the jar by the build), served by the admin listener at
 * {@code /runbook} as the text with an anchor per section: each {@code ## Alert} heading gets GitHub's anchor
 * ({@code #meshdnsdown}), so an alert's default {@code runbook_url} (the chart's
 * {@code prometheusRule.runbookBaseUrl}, {@code http://localhost:9154/runbook}) opens its section through the
 * port-forward the runbook starts with, and always matches the running version. No link leaves the project.
 */
final class RunbookPage {
    static final String RESOURCE = "runbook.md";

    private RunbookPage() {}

    static byte[] html() {
        String markdown;
        try (InputStream in = RunbookPage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(
                        "missing resource " + RESOURCE + " next to " + RunbookPage.class.getName());
            }
            markdown = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return render(markdown).getBytes(StandardCharsets.UTF_8);
    }

    /** The text in {@code <pre>} blocks, each {@code ## } heading an {@code <h2>} with its GitHub anchor as id. */
    static String render(String markdown) {
        StringBuilder page = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                + "<title>meshdns runbook</title></head><body>\n<pre>");
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("## ")) {
                String title = line.substring(3).trim();
                page.append("</pre>\n<h2 id=\"")
                        .append(anchor(title))
                        .append("\">")
                        .append(escape(title))
                        .append("</h2>\n<pre>");
            } else {
                page.append(escape(line)).append('\n');
            }
        }
        return page.append("</pre>\n</body></html>\n").toString();
    }

    /** GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens. */
    static String anchor(String title) {
        return title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;");
    }
}
