package io.meshdns.charts;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects, found lexically: string literals, label matchers, range
 * and subquery brackets and grouping clauses ({@code by (...)}, {@code on (...)}, ...) are blanked out;
 * what is left that looks like an identifier, is not followed by {@code (} (a function or aggregation)
 * and is not a keyword, is a metric name. Grafana variables ({@code $job}) are not names.
 */
final class PromqlMetricNames {
    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern BRACKETS = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", Pattern.CASE_INSENSITIVE);
    // Possessive, so a function name is never cut short to dodge the "not followed by (" rule.
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*+(?!\\s*\\()");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan");
    /** A Grafana templating query {@code label_values(SELECTOR, label)}. */
    private static final Pattern LABEL_VALUES =
            Pattern.compile("^\\s*label_values\\((.*),\\s*\\w+\\s*\\)\\s*$", Pattern.DOTALL);

    private PromqlMetricNames() {}

    static Set<String> in(String expr) {
        String s = STRINGS.matcher(expr).replaceAll("\"\"");
        s = MATCHERS.matcher(s).replaceAll(" ");
        s = BRACKETS.matcher(s).replaceAll(" ");
        s = GROUPING.matcher(s).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            if (!KEYWORDS.contains(m.group().toLowerCase())) {
                names.add(m.group());
            }
        }
        return names;
    }

    /** The names in a Grafana variable's query: {@code label_values(SELECTOR, label)} or plain PromQL. */
    static Set<String> inVariableQuery(String query) {
        Matcher m = LABEL_VALUES.matcher(query);
        return in(m.matches() ? m.group(1) : query);
    }
}
