package io.meshdns.server;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4: every line must be a HELP, a TYPE or a
 * sample of the family last typed; names and label sets follow the grammar; a series appears once;
 * histogram buckets are cumulative and end with {@code +Inf} equal to {@code _count}. Anything else
 * fails the parse with the line that broke it.
 */
public final class PrometheusText {
    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (.*)");
    private static final Pattern TYPE =
            Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)\\})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL =
            Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");

    public record Sample(String name, Map<String, String> labels, double value) {}

    public record Family(String name, String type, String help, List<Sample> samples) {
        /** The one sample of {@code name} with exactly these labels. */
        public double value(String sampleName, Map<String, String> labels) {
            return samples.stream()
                    .filter(s -> s.name().equals(sampleName) && s.labels().equals(labels))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no sample " + sampleName + labels + " in " + samples))
                    .value();
        }

        public double value(Map<String, String> labels) {
            return value(name, labels);
        }
    }

    private final Map<String, Family> families;

    private PrometheusText(Map<String, Family> families) {
        this.families = families;
    }

    Map<String, Family> families() {
        return families;
    }

    public Family family(String name) {
        Family f = families.get(name);
        if (f == null) {
            throw new AssertionError("no metric family " + name + "; have " + families.keySet());
        }
        return f;
    }

    public static PrometheusText parse(String text) {
        Map<String, Family> families = new LinkedHashMap<>();
        Map<String, String> helps = new LinkedHashMap<>();
        Family current = null;
        java.util.Set<String> series = new java.util.HashSet<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty()) {
                if (lineNo == text.split("\n", -1).length) {
                    continue; // the trailing newline
                }
                throw fail(lineNo, line, "empty line");
            }
            Matcher m;
            if ((m = HELP.matcher(line)).matches()) {
                if (helps.put(m.group(1), m.group(2)) != null) {
                    throw fail(lineNo, line, "second HELP for " + m.group(1));
                }
            } else if ((m = TYPE.matcher(line)).matches()) {
                String name = m.group(1);
                if (families.containsKey(name)) {
                    throw fail(lineNo, line, "second TYPE for " + name);
                }
                current = new Family(name, m.group(2), helps.get(name), new ArrayList<>());
                families.put(name, current);
            } else if (line.startsWith("#")) {
                throw fail(lineNo, line, "a comment that is neither HELP nor TYPE");
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                if (current == null || !belongs(m.group(1), current)) {
                    throw fail(lineNo, line, "sample outside its family's TYPE block");
                }
                Map<String, String> labels = labels(m.group(3), lineNo, line);
                if (!series.add(m.group(1) + labels)) {
                    throw fail(lineNo, line, "duplicate series");
                }
                current.samples()
                        .add(new Sample(
                                m.group(1), Collections.unmodifiableMap(labels), number(m.group(4), lineNo, line)));
            } else {
                throw fail(lineNo, line, "not a HELP, TYPE or sample line");
            }
        }
        for (Family f : families.values()) {
            if (f.type().equals("histogram")) {
                checkHistogram(f);
            }
        }
        return new PrometheusText(families);
    }

    private static boolean belongs(String sample, Family f) {
        return switch (f.type()) {
            case "histogram" ->
                sample.equals(f.name() + "_bucket")
                        || sample.equals(f.name() + "_count")
                        || sample.equals(f.name() + "_sum");
            case "summary" ->
                sample.equals(f.name()) || sample.equals(f.name() + "_count") || sample.equals(f.name() + "_sum");
            default -> sample.equals(f.name());
        };
    }

    private static Map<String, String> labels(String body, int lineNo, String line) {
        Map<String, String> labels = new TreeMap<>();
        if (body == null || body.isEmpty()) {
            return labels;
        }
        Matcher m = LABEL.matcher(body);
        int at = 0;
        while (at < body.length()) {
            if (!m.find(at) || m.start() != at) {
                throw fail(lineNo, line, "malformed label set at " + body.substring(at));
            }
            if (labels.put(m.group(1), m.group(2)) != null) {
                throw fail(lineNo, line, "label " + m.group(1) + " twice");
            }
            at = m.end();
        }
        return labels;
    }

    private static double number(String s, int lineNo, String line) {
        switch (s) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                try {
                    return Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw fail(lineNo, line, "not a number: " + s);
                }
        }
    }

    /** Per label set (without {@code le}): buckets non-decreasing, ending at +Inf, which equals _count. */
    private static void checkHistogram(Family f) {
        Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
        for (Sample s : f.samples()) {
            if (s.name().endsWith("_bucket")) {
                Map<String, String> rest = new TreeMap<>(s.labels());
                if (rest.remove("le") == null) {
                    throw new AssertionError(f.name() + ": bucket without le: " + s);
                }
                buckets.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
            }
        }
        for (var e : buckets.entrySet()) {
            double previousLe = Double.NEGATIVE_INFINITY;
            double previousCount = 0;
            for (Sample b : e.getValue()) {
                double le = Double.parseDouble(b.labels().get("le").replace("+Inf", "Infinity"));
                if (le <= previousLe || b.value() < previousCount) {
                    throw new AssertionError(f.name() + e.getKey() + ": buckets not cumulative at le="
                            + b.labels().get("le"));
                }
                previousLe = le;
                previousCount = b.value();
            }
            if (previousLe != Double.POSITIVE_INFINITY) {
                throw new AssertionError(f.name() + e.getKey() + ": no +Inf bucket");
            }
            if (f.value(f.name() + "_count", e.getKey()) != previousCount) {
                throw new AssertionError(f.name() + e.getKey() + ": +Inf bucket differs from _count");
            }
        }
    }

    private static AssertionError fail(int lineNo, String line, String why) {
        return new AssertionError("metrics line " + lineNo + ": " + why + ": " + line);
    }
}
