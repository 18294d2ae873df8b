package io.reactivecarrier;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every public top-level type of the library (and of the Spring Boot starter, when its sources
 * are next to this module) has Javadoc with a short example: a {@code <pre>{@code ...}</pre>}
 * block in the type's own comment. A source scan, no class loading: it reads {@code src/main/java}.
 */
class JavadocExamplesTest {

    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "^public\\s+(?:(?:final|abstract|sealed|non-sealed|static|strictfp)\\s+)*"
                    + "(?:class|interface|record|enum|@interface)\\s+(\\w+)",
            Pattern.MULTILINE);

    private static final String EXAMPLE_START = "<pre>{@code";

    @Test
    void everyPublicTypeHasAJavadocExample() throws IOException {
        List<Path> roots = new ArrayList<>();
        roots.add(Path.of("src/main/java"));
        Path starter = Path.of("../reactive-carrier-spring-boot-starter/src/main/java");
        if (Files.isDirectory(starter)) {
            roots.add(starter);
        }
        assertThat(roots.get(0)).as("run from the reactive-carrier module directory").isDirectory();

        List<String> offenders = new ArrayList<>();
        int checked = 0;
        for (Path root : roots) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(JavadocExamplesTest::isTypeSource).sorted().toList()) {
                    String source = Files.readString(file, StandardCharsets.UTF_8);
                    Optional<String> problem = problem(source);
                    if (problem.isPresent()) {
                        offenders.add(root.relativize(file) + ": " + problem.get());
                    }
                    if (PUBLIC_TYPE.matcher(source).find()) {
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).as("public types found (is the scan looking at the sources?)").isGreaterThan(50);
        assertThat(offenders)
                .as("public types whose Javadoc has no example: add a short <pre>{@code ...}</pre> block "
                        + "(2-8 lines, real API) to the type's comment")
                .isEmpty();
    }

    @Test
    void theScanReportsATypeWithoutAnExample() {
        assertThat(problem("package p;\n/** A thing. */\npublic final class Thing {\n}\n"))
                .hasValueSatisfying(p -> assertThat(p).contains("Thing").contains("no example"));
        assertThat(problem("package p;\npublic interface Bare {\n}\n"))
                .hasValueSatisfying(p -> assertThat(p).contains("no Javadoc"));
        assertThat(problem("package p;\n/**\n * A thing.\n *\n * <pre>{@code\n * Thing t = new Thing();\n"
                + " * }</pre>\n */\npublic record Thing(int a) {\n}\n")).isEmpty();
        assertThat(problem("package p;\n/**\n * <pre>{@code\n * if (x) {\n * }</pre>\n */\n"
                + "public enum Odd {\n}\n"))
                .hasValueSatisfying(p -> assertThat(p).contains("unbalanced"));
        assertThat(problem("package p;\nfinal class Hidden {\n}\n")).isEmpty();
    }

    private static boolean isTypeSource(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".java") && !name.equals("package-info.java") && !name.equals("module-info.java");
    }

    /** What is wrong with the Javadoc of the public top-level type in {@code source}, if anything. */
    static Optional<String> problem(String source) {
        Matcher type = PUBLIC_TYPE.matcher(source);
        if (!type.find()) {
            return Optional.empty();
        }
        String name = type.group(1);
        String before = source.substring(0, type.start());
        int start = before.lastIndexOf("/**");
        int end = start < 0 ? -1 : before.indexOf("*/", start);
        if (start < 0 || end < 0 || !before.substring(end + 2).replaceAll("//[^\\n]*|@[\\w.]+(\\([^)]*\\))?", "").isBlank()) {
            return Optional.of(name + " has no Javadoc");
        }
        String doc = before.substring(start, end);
        int example = doc.indexOf(EXAMPLE_START);
        if (example < 0) {
            return Optional.of(name + " has Javadoc but no example (" + EXAMPLE_START + " ... }</pre>)");
        }
        int close = doc.indexOf("}</pre>", example);
        if (close < 0) {
            return Optional.of(name + ": the example is not closed with }</pre>");
        }
        int depth = 0;
        for (char c : doc.substring(example + EXAMPLE_START.length(), close).toCharArray()) {
            depth += c == '{' ? 1 : c == '}' ? -1 : 0;
        }
        if (depth != 0) {
            return Optional.of(name + ": unbalanced braces in the example (Javadoc ends {@code at the first extra })");
        }
        return Optional.empty();
    }
}
