package io.meshdns.forwarder;

import io.meshdns.core.IpLiteral;
import io.meshdns.forwarder.CorefileNode.Directive;
import io.meshdns.forwarder.CorefileNode.Import;
import io.meshdns.forwarder.CorefileNode.ServerBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A parsed Corefile that prints back byte for byte, and can have the meshdns block put in or taken out
 * between its marker comments while every other byte stays as it was.
 *
 * <p>It reads what CoreDNS's Caddyfile parser reads: server blocks with several keys and ports, keys
 * continued on the next line after a comma, nested plugin blocks, quoted strings, comments, {@code import}
 * of files and snippets, snippets, and {@code {$VAR}} placeholders (kept as written). What it cannot read
 * it refuses with a {@link CorefileException} naming the line, and it never returns a Corefile it cannot
 * parse again.
 */
public final class Corefile {
    private static final Pattern PORT_DIGITS = Pattern.compile("\\d{1,5}");

    private final String source;
    private final List<CorefileNode> items;
    private final String trailing;
    private final List<CorefileLexer.Comment> comments;
    private final String text;

    private Corefile(
            String source,
            String text,
            List<CorefileNode> items,
            String trailing,
            List<CorefileLexer.Comment> comments) {
        this.source = source;
        this.text = text;
        this.items = items;
        this.trailing = trailing;
        this.comments = comments;
    }

    /**
     * @param source what to call the Corefile in errors: a file name or {@code kube-system/coredns Corefile}
     * @throws CorefileException when the text is not a Corefile meshdns can read
     */
    public static Corefile parse(String source, String text) {
        CorefileLexer.Result lexed = CorefileLexer.lex(source, text);
        List<CorefileNode> items = CorefileParser.parse(source, lexed.tokens());
        Corefile corefile = new Corefile(source, text, items, lexed.trailing(), lexed.comments());
        corefile.region(); // marker comments must be well placed before anything is done with them
        return corefile;
    }

    /** The Corefile printed from its parse tree: equal to the text it was parsed from. */
    public String text() {
        StringBuilder out = new StringBuilder(text.length());
        List<Token> tokens = new ArrayList<>();
        items.forEach(item -> item.collect(tokens));
        for (Token t : tokens) {
            out.append(t.leading()).append(t.raw());
        }
        return out.append(trailing).toString();
    }

    public String source() {
        return source;
    }

    public boolean hasMeshdnsBlock() {
        return region().isPresent();
    }

    /**
     * This Corefile with {@code stanza} between the meshdns markers: the old block replaced if there is one,
     * else appended at the end after a blank line. The block takes this Corefile's indentation, line
     * separator and DNS port. Applying the same stanza again returns an equal Corefile.
     *
     * @throws CorefileException when another server block already serves one of the stanza's zones
     */
    public Corefile withMeshdnsBlock(MeshdnsStanza stanza) {
        String nl = lineSeparator();
        String block = String.join(nl, stanza.lines(new MeshdnsStanza.Layout(rootPort(), indentUnit(), nl)));
        Optional<Region> region = region();
        String patched;
        if (region.isPresent()) {
            Region r = region.get();
            patched = text.substring(0, r.start()) + block + text.substring(r.end());
        } else if (text.isEmpty()) {
            patched = block + nl;
        } else if (text.endsWith("\n")) {
            patched = text + nl + block + nl;
        } else {
            // keep "no newline at the end of the file", so that taking the block out gives the original back
            patched = text + nl + nl + block;
        }
        Corefile result = reparse(patched, "adding the meshdns block");
        result.checkNoOtherBlockServes(stanza);
        return result;
    }

    /** This Corefile without the meshdns block and the blank line written before it; unchanged when there is none. */
    public Corefile withoutMeshdnsBlock() {
        Optional<Region> region = region();
        if (region.isEmpty()) {
            return this;
        }
        int start = region.get().start();
        int end = region.get().end();
        boolean newlineAfter = end < text.length();
        if (newlineAfter) {
            end += text.startsWith("\r\n", end) ? 2 : 1;
        }
        String before = text.substring(0, start);
        if (before.endsWith("\n\n")) {
            before = before.substring(0, before.length() - 1);
        } else if (before.endsWith("\r\n\r\n")) {
            before = before.substring(0, before.length() - 2);
        }
        if (!newlineAfter) {
            before = before.endsWith("\r\n")
                    ? before.substring(0, before.length() - 2)
                    : before.endsWith("\n") ? before.substring(0, before.length() - 1) : before;
        }
        return reparse(before + text.substring(end), "removing the meshdns block");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Corefile c && c.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }

    // ---- what the patcher needs to know about the Corefile ----

    List<CorefileNode> items() {
        return items;
    }

    List<ServerBlock> serverBlocks() {
        return items.stream()
                .filter(ServerBlock.class::isInstance)
                .map(ServerBlock.class::cast)
                .filter(b -> !b.isSnippet())
                .toList();
    }

    /** The port of the root zone's server block ({@code .:53}), which the meshdns block must listen on too; 53 when none. */
    int rootPort() {
        for (ServerBlock block : serverBlocks()) {
            for (String key : block.keyValues()) {
                for (ZoneKey k : ZoneKey.of(key)) {
                    if (k.zone().equals(".")) {
                        return k.port();
                    }
                }
            }
        }
        return 53;
    }

    /** The indentation of the first plugin line, so the meshdns block looks like the rest; four spaces when unknown. */
    String indentUnit() {
        for (ServerBlock block : serverBlocks()) {
            if (!block.body().isEmpty()) {
                String leading = block.body().get(0).first().leading();
                int nl = leading.lastIndexOf('\n');
                if (nl >= 0) {
                    String indent = leading.substring(nl + 1);
                    if (!indent.isEmpty() && indent.chars().allMatch(c -> c == ' ' || c == '\t')) {
                        return indent;
                    }
                }
            }
        }
        return "    ";
    }

    String lineSeparator() {
        return text.contains("\r\n") ? "\r\n" : "\n";
    }

    /** Whether a top-level {@code import} splices in {@code *.server} files: the coredns-custom convention of k3s and AKS. */
    boolean importsServerFiles() {
        return items.stream()
                .filter(Import.class::isInstance)
                .map(Import.class::cast)
                .flatMap(i -> i.args().stream())
                .anyMatch(a -> a.endsWith(".server"));
    }

    /**
     * The addresses of the first {@code bind} plugin line, empty when there is none. NodeLocal DNSCache
     * Corefiles have one in every block: the cache listens only on its own addresses.
     */
    public List<String> bindAddresses() {
        for (ServerBlock block : serverBlocks()) {
            for (Directive d : block.body()) {
                if (d.name().equals("bind") && d.words().size() > 1) {
                    return d.args();
                }
            }
        }
        return List.of();
    }

    /** Whether any server block uses {@code plugin}, such as {@code reload}. */
    boolean usesPlugin(String plugin) {
        return serverBlocks().stream()
                .flatMap(b -> b.body().stream())
                .anyMatch(d -> d.name().equals(plugin));
    }

    /** The zone keys of server blocks outside the meshdns markers, normalized ({@code zone:port}). */
    List<ZoneKey> zoneKeysOutsideMeshdnsBlock() {
        Optional<Region> region = region();
        List<ZoneKey> keys = new ArrayList<>();
        for (ServerBlock block : serverBlocks()) {
            int at = block.first().offset();
            if (region.isPresent()
                    && at >= region.get().start()
                    && at < region.get().end()) {
                continue;
            }
            for (String key : block.keyValues()) {
                ZoneKey.of(key).forEach(k -> keys.add(k.atLine(block.first().line())));
            }
        }
        return keys;
    }

    void checkNoOtherBlockServes(MeshdnsStanza stanza) {
        int port = rootPort();
        for (ZoneKey other : zoneKeysOutsideMeshdnsBlock()) {
            for (String zone : stanza.zones()) {
                if (other.zone().equals(zone + ".") && other.port() == port) {
                    throw CorefileException.at(
                            source,
                            other.line(),
                            "a server block already serves " + zone + ":" + port
                                    + " outside the meshdns markers; CoreDNS would refuse two blocks for one zone. Remove it, or put it"
                                    + " between '" + MeshdnsStanza.BEGIN + "' and '" + MeshdnsStanza.END
                                    + "' lines to let meshdns replace it");
                }
            }
        }
    }

    private Corefile reparse(String patched, String doing) {
        try {
            return parse(source, patched);
        } catch (CorefileException e) {
            // A bug, not bad input: the original parsed. Refuse rather than write something CoreDNS may reject.
            throw new CorefileException(source + ": " + doing + " gave a Corefile that does not parse back ("
                    + e.getMessage() + "); nothing was changed");
        }
    }

    /** Where the meshdns block is: from the start of the begin marker's line to the end of the end marker's line. */
    record Region(int start, int end) {}

    private Optional<Region> region() {
        List<CorefileLexer.Comment> begins = new ArrayList<>();
        List<CorefileLexer.Comment> ends = new ArrayList<>();
        for (CorefileLexer.Comment c : comments) {
            if (c.text().startsWith(MeshdnsStanza.BEGIN)) {
                begins.add(c);
            } else if (c.text().startsWith(MeshdnsStanza.END)) {
                ends.add(c);
            }
        }
        if (begins.isEmpty() && ends.isEmpty()) {
            return Optional.empty();
        }
        if (begins.size() > 1) {
            throw CorefileException.at(
                    source,
                    begins.get(1).line(),
                    "a second '" + MeshdnsStanza.BEGIN + "' marker (the first" + " is on line "
                            + begins.get(0).line() + ")");
        }
        if (ends.size() > 1) {
            throw CorefileException.at(
                    source,
                    ends.get(1).line(),
                    "a second '" + MeshdnsStanza.END + "' marker (the first" + " is on line "
                            + ends.get(0).line() + ")");
        }
        if (ends.isEmpty()) {
            throw CorefileException.at(
                    source,
                    begins.get(0).line(),
                    "'" + MeshdnsStanza.BEGIN + "' has no '" + MeshdnsStanza.END + "' after it");
        }
        if (begins.isEmpty()) {
            throw CorefileException.at(
                    source,
                    ends.get(0).line(),
                    "'" + MeshdnsStanza.END + "' has no '" + MeshdnsStanza.BEGIN + "' before it");
        }
        CorefileLexer.Comment begin = begins.get(0);
        CorefileLexer.Comment end = ends.get(0);
        if (end.offset() < begin.offset()) {
            throw CorefileException.at(
                    source,
                    end.line(),
                    "'" + MeshdnsStanza.END + "' comes before '" + MeshdnsStanza.BEGIN + "' (line " + begin.line()
                            + ")");
        }
        for (CorefileLexer.Comment marker : List.of(begin, end)) {
            if (marker.depth() != 0 || insideItem(marker.offset())) {
                throw CorefileException.at(
                        source,
                        marker.line(),
                        "the meshdns marker is inside a server block or key list;"
                                + " it must stand between server blocks");
            }
            int lineStart = text.lastIndexOf('\n', marker.offset() - 1) + 1;
            if (!text.substring(lineStart, marker.offset()).isBlank()) {
                throw CorefileException.at(source, marker.line(), "the meshdns marker must be on a line of its own");
            }
        }
        int start = text.lastIndexOf('\n', begin.offset() - 1) + 1;
        int stop = end.end();
        if (stop > 0 && stop <= text.length() && text.charAt(stop - 1) == '\r') {
            stop--;
        }
        return Optional.of(new Region(start, stop));
    }

    private boolean insideItem(int offset) {
        for (CorefileNode item : items) {
            if (item.first().offset() < offset && offset < item.last().end()) {
                return true;
            }
        }
        return false;
    }

    /** A server block key reduced to what CoreDNS compares: the zone as an absolute lowercase name, and the port. */
    record ZoneKey(String zone, int port, int line) {
        /** The zones of one key: one, several for a CIDR key such as {@code 10.0.0.0/23}, none for a placeholder. */
        static List<ZoneKey> of(String key) {
            if (key.contains("{$") || key.contains("{%")) {
                return List.of(); // an environment placeholder: its value is unknown here
            }
            String k = key.toLowerCase(Locale.ROOT);
            int scheme = k.indexOf("://");
            String protocol = scheme < 0 ? "dns" : k.substring(0, scheme);
            if (scheme >= 0) {
                k = k.substring(scheme + 3);
            }
            int port = switch (protocol) {
                case "tls" -> 853;
                case "https", "grpc" -> 443;
                default -> 53;
            };
            int colon = k.lastIndexOf(':');
            if (colon >= 0
                    && PORT_DIGITS.matcher(k.substring(colon + 1)).matches()
                    && IpLiteral.parseAsWritten(k) == null) {
                port = Integer.parseInt(k.substring(colon + 1));
                k = k.substring(0, colon);
            }
            List<String> zones;
            if (k.contains("/")) {
                try {
                    zones = ReverseZones.of(k);
                } catch (IllegalArgumentException e) {
                    zones = List.of(k);
                }
            } else {
                zones = List.of(k.isEmpty() ? "." : k);
            }
            int p = port;
            return zones.stream()
                    .map(z -> new ZoneKey(z.endsWith(".") ? z : z + ".", p, 0))
                    .toList();
        }

        ZoneKey atLine(int l) {
            return new ZoneKey(zone, port, l);
        }
    }
}
