package io.meshdns.forwarder;

import java.util.ArrayList;
import java.util.List;

/**
 * A unified diff ({@code diff -u}, three lines of context) of two texts, which {@code patch} and
 * {@code git apply} accept. Lines are compared whole; a last line without a newline is marked as
 * {@code diff} marks it.
 */
public final class UnifiedDiff {
    private static final int CONTEXT = 3;

    private UnifiedDiff() {}

    /**
     * The diff from {@code before} to {@code after}, or the empty string when they are equal.
     *
     * @param label the file name for the {@code ---}/{@code +++} lines ({@code a/} and {@code b/} are prefixed)
     * @param before the old text, {@code null} when there was none
     * @param after the new text, {@code null} when it is removed
     */
    public static String of(String label, String before, String after) {
        String a = before == null ? "" : before;
        String b = after == null ? "" : after;
        if (a.equals(b) && (before == null) == (after == null)) {
            return "";
        }
        List<String> x = lines(a);
        List<String> y = lines(b);
        List<Edit> script = script(x, y);
        StringBuilder out = new StringBuilder();
        out.append("--- ").append(before == null ? "/dev/null" : "a/" + label).append('\n');
        out.append("+++ ").append(after == null ? "/dev/null" : "b/" + label).append('\n');
        int i = 0;
        while (i < script.size()) {
            // find the next change
            while (i < script.size() && script.get(i).op == ' ') {
                i++;
            }
            if (i == script.size()) {
                break;
            }
            int start = Math.max(0, i - CONTEXT);
            int end = i;
            // extend while changes are within 2*CONTEXT equal lines of each other
            while (true) {
                while (end < script.size() && script.get(end).op != ' ') {
                    end++;
                }
                int equal = 0;
                while (end + equal < script.size() && script.get(end + equal).op == ' ') {
                    equal++;
                }
                if (end + equal < script.size() && equal <= 2 * CONTEXT) {
                    end += equal;
                } else {
                    end = Math.min(script.size(), end + Math.min(equal, CONTEXT));
                    break;
                }
            }
            hunk(out, script.subList(start, end), x, y);
            i = end;
        }
        return out.toString();
    }

    private record Edit(char op, int oldLine, int newLine) {}

    private static void hunk(StringBuilder out, List<Edit> edits, List<String> x, List<String> y) {
        int oldStart = -1;
        int newStart = -1;
        int oldCount = 0;
        int newCount = 0;
        int oldBefore = 0;
        int newBefore = 0;
        for (Edit e : edits) {
            if (e.op != '+') {
                if (oldStart < 0) {
                    oldStart = e.oldLine;
                }
                oldCount++;
            }
            if (e.op != '-') {
                if (newStart < 0) {
                    newStart = e.newLine;
                }
                newCount++;
            }
            if (oldStart < 0) {
                oldBefore = e.oldLine;
            }
            if (newStart < 0) {
                newBefore = e.newLine;
            }
        }
        out.append("@@ -")
                .append(range(oldStart, oldCount, oldBefore))
                .append(" +")
                .append(range(newStart, newCount, newBefore))
                .append(" @@\n");
        for (Edit e : edits) {
            String line = e.op == '+' ? y.get(e.newLine) : x.get(e.oldLine);
            out.append(e.op);
            if (line.endsWith("\n")) {
                out.append(line);
            } else {
                out.append(line).append("\n\\ No newline at end of file\n");
            }
        }
    }

    /** GNU style: 1-based start, count left out when 1, and for an empty range the line before it. */
    private static String range(int start, int count, int lineBefore) {
        if (count == 0) {
            return lineBefore + ",0";
        }
        return count == 1 ? String.valueOf(start + 1) : (start + 1) + "," + count;
    }

    /** Lines with their newline, so a missing newline at the end counts as a difference. */
    private static List<String> lines(String text) {
        List<String> lines = new ArrayList<>();
        int from = 0;
        while (from < text.length()) {
            int nl = text.indexOf('\n', from);
            int to = nl < 0 ? text.length() : nl + 1;
            lines.add(text.substring(from, to));
            from = to;
        }
        return lines;
    }

    /** The shortest edit script, by the longest common subsequence of lines (Corefiles are short). */
    private static List<Edit> script(List<String> x, List<String> y) {
        int n = x.size();
        int m = y.size();
        int prefix = 0;
        while (prefix < n && prefix < m && x.get(prefix).equals(y.get(prefix))) {
            prefix++;
        }
        int suffix = 0;
        while (suffix < n - prefix
                && suffix < m - prefix
                && x.get(n - 1 - suffix).equals(y.get(m - 1 - suffix))) {
            suffix++;
        }
        int rows = n - prefix - suffix;
        int cols = m - prefix - suffix;
        int[][] lcs = new int[rows + 1][cols + 1];
        for (int i = rows - 1; i >= 0; i--) {
            for (int j = cols - 1; j >= 0; j--) {
                lcs[i][j] = x.get(prefix + i).equals(y.get(prefix + j))
                        ? lcs[i + 1][j + 1] + 1
                        : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<Edit> script = new ArrayList<>();
        for (int k = 0; k < prefix; k++) {
            script.add(new Edit(' ', k, k));
        }
        int i = 0;
        int j = 0;
        while (i < rows || j < cols) {
            if (i < rows && j < cols && x.get(prefix + i).equals(y.get(prefix + j))) {
                script.add(new Edit(' ', prefix + i++, prefix + j++));
            } else if (j < cols && (i == rows || lcs[i][j + 1] > lcs[i + 1][j])) {
                script.add(new Edit('+', prefix + i, prefix + j++));
            } else {
                script.add(new Edit('-', prefix + i++, prefix + j));
            }
        }
        for (int k = 0; k < suffix; k++) {
            script.add(new Edit(' ', n - suffix + k, m - suffix + k));
        }
        return script;
    }
}
