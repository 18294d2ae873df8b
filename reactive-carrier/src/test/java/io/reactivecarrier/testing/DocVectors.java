package io.reactivecarrier.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the test vectors a protocol document shows in a fenced block under a heading, so a test
 * checks the document itself and the two cannot drift. An entry starts with a label at the start
 * of a line ({@code "static public    07a3..."}: the label ends at two spaces) and goes on over the
 * indented lines below it.
 */
public final class DocVectors {

    private final String block;
    private final Map<String, String> entries = new LinkedHashMap<>();

    private DocVectors(String block) {
        this.block = block;
        String label = null;
        StringBuilder value = new StringBuilder();
        for (String line : block.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (!Character.isWhitespace(line.charAt(0))) {
                if (label != null) {
                    entries.put(label, value.toString());
                }
                Matcher m = Pattern.compile("^(.*?)(?: {2,}|$)(.*)$").matcher(line);
                if (!m.matches()) {
                    throw new IllegalStateException("cannot read the vector line: " + line);
                }
                label = m.group(1).trim();
                value = new StringBuilder(m.group(2).trim());
            } else {
                value.append('\n').append(line.trim());
            }
        }
        if (label != null) {
            entries.put(label, value.toString());
        }
    }

    /** The first fenced block after {@code heading} in {@code docs/<relativePath>} (the module runs in its own directory). */
    public static DocVectors of(String relativePath, String heading) {
        Path doc = Path.of("..", "docs").resolve(relativePath);
        String text;
        try {
            text = Files.readString(doc).replace("\r\n", "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + doc.toAbsolutePath(), e);
        }
        int at = text.indexOf("\n" + heading + "\n");
        if (at < 0) {
            throw new IllegalStateException(doc + " has no heading '" + heading + "'");
        }
        int open = text.indexOf("```", at);
        int start = text.indexOf('\n', open) + 1;
        int close = text.indexOf("```", start);
        if (open < 0 || close < 0) {
            throw new IllegalStateException(doc + " has no fenced block after '" + heading + "'");
        }
        return new DocVectors(text.substring(start, close));
    }

    /** The whole block. */
    public String block() {
        return block;
    }

    /** The text of the entry labelled {@code label} (its lines joined by newlines). */
    public String entry(String label) {
        String v = entries.get(label);
        if (v == null) {
            throw new IllegalStateException("no vector labelled '" + label + "' in:\n" + block);
        }
        return v;
    }

    /** The entry's value as hex: comments in parentheses and white space removed. */
    public String hex(String label) {
        return hexOf(entry(label).replaceAll("\\(.*?\\)", ""));
    }

    /** The hex after the entry's {@code ->} (its expected output). */
    public String result(String label) {
        String e = entry(label);
        int arrow = e.indexOf("->");
        if (arrow < 0) {
            throw new IllegalStateException("vector '" + label + "' has no '->' result: " + e);
        }
        return hexOf(e.substring(arrow + 2));
    }

    /** Group 1 of the first match of {@code regex} in the block. */
    public String find(String regex) {
        Matcher m = Pattern.compile(regex).matcher(block);
        if (!m.find()) {
            throw new IllegalStateException("no match for " + regex + " in:\n" + block);
        }
        return m.group(1);
    }

    private static String hexOf(String s) {
        String hex = s.replaceAll("\\s+", "");
        if (!hex.matches("[0-9a-f]*") || hex.length() % 2 != 0) {
            throw new IllegalStateException("not hex: " + s);
        }
        return hex;
    }
}
