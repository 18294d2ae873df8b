package io.reactivecarrier.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jline.keymap.KeyMap;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The chat's console on a virtual terminal (JLine's external terminal over in-memory streams, an
 * xterm of 100 columns): line editing, history, and lines printed above the prompt while the user
 * is typing, which keep the half-typed line intact. And the plain path for pipes.
 */
class ChatConsoleTest {

    private static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final PipedOutputStream keyboard = new PipedOutputStream();
    /** What the terminal shows: ByteArrayOutputStream is synchronized. */
    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    private Terminal terminal;

    private Terminal terminal() throws IOException {
        // the control characters of a real tty (Ctrl-D ends the input, Ctrl-C interrupts)
        Attributes tty = new Attributes();
        tty.setControlChar(Attributes.ControlChar.VEOF, 4);
        tty.setControlChar(Attributes.ControlChar.VINTR, 3);
        tty.setControlChar(Attributes.ControlChar.VERASE, 127);
        terminal = TerminalBuilder.builder().attributes(tty).system(false).name("test")
                .streams(new PipedInputStream(keyboard, 1 << 16), screen).type("xterm")
                .encoding(StandardCharsets.UTF_8).size(new Size(100, 40)).build();
        return terminal;
    }

    @AfterEach
    void closeTerminal() throws IOException {
        keyboard.close();
        if (terminal != null) {
            terminal.close();
        }
    }

    private void type(String keys) throws IOException {
        keyboard.write(keys.getBytes(StandardCharsets.UTF_8));
        keyboard.flush();
    }

    private String screen() {
        return screen.toString(StandardCharsets.UTF_8);
    }

    private void awaitScreen(String text) {
        await().atMost(T).untilAsserted(() -> assertThat(screen()).contains(text));
    }

    @Test
    void linesPrintedAboveThePromptKeepTheLineBeingTyped() throws Exception {
        try (ChatConsole console = new ChatConsole.Editing(terminal())) {
            assertThat(console.editing()).isTrue();
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> readLine(console, "bob> "));
            type("hel");
            awaitScreen("bob> hel");
            int before = screen().length();

            console.print("[12:00:00] bob: a message arriving while typing");

            awaitScreen("a message arriving while typing");
            // after the incoming line, the prompt and the half-typed line are drawn again below it
            await().atMost(T).untilAsserted(() -> {
                String after = screen().substring(before);
                assertThat(after.substring(after.indexOf("a message arriving"))).contains("bob> hel");
            });
            assertThat(first).isNotDone();
            type("lo world\r");
            assertThat(first.get(T.toSeconds(), TimeUnit.SECONDS)).isEqualTo("hello world");

            // history: Up brings the last line back; Ctrl-A and typing edit it in place
            CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> readLine(console, "> "));
            type(KeyMap.key(terminal, InfoCmp.Capability.key_up) + "\001say \r");
            assertThat(second.get(T.toSeconds(), TimeUnit.SECONDS)).isEqualTo("say hello world");

            // Ctrl-D on an empty line ends the input, as the end of a pipe does
            CompletableFuture<String> third = CompletableFuture.supplyAsync(() -> readLine(console, "> "));
            type("\004");
            assertThat(third.get(T.toSeconds(), TimeUnit.SECONDS)).isNull();
        }
    }

    @Test
    void tabCompletesTheCommands() throws Exception {
        try (ChatConsole console = new ChatConsole.Editing(terminal())) {
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> readLine(console, "> "));
            type("/frie\t\r");
            assertThat(line.get(T.toSeconds(), TimeUnit.SECONDS)).isEqualTo("/friends "); // the chat strips the space
        }
    }

    @Test
    void chatCommandEditsLinesOnATerminal() throws Exception {
        Terminal term = terminal();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ChatCommand(term));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute(
                "-d", dir.resolve("alice").toString(), "-H", "127.0.0.1", "-p", "0"));
        try {
            awaitScreen("address:");
            awaitScreen("> ");
            type("/hel\t\r");
            awaitScreen("/quit                     leave");
            type("/to nobody\r");
            awaitScreen("no friend matches 'nobody'");
            type("/quit\r");
            assertThat(exit.get(T.toSeconds(), TimeUnit.SECONDS)).as(err.toString()).isZero();
            assertThat(screen()).contains("bye").doesNotContain("Exception");
        } finally {
            if (!exit.isDone()) {
                keyboard.close();
                exit.get(T.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void plainLinesWithoutATerminal() throws Exception {
        StringWriter out = new StringWriter();
        try (ChatConsole console = new ChatConsole.Plain(new StringReader("one\ntwo\n"), new PrintWriter(out))) {
            assertThat(console.editing()).isFalse();
            assertThat(console.readLine("> ")).isEqualTo("one");
            console.print("arrived");
            assertThat(console.readLine("> ")).isEqualTo("two");
            assertThat(console.readLine("> ")).isNull();
        }
        assertThat(out.toString()).isEqualTo("arrived" + System.lineSeparator());
    }

    private static String readLine(ChatConsole console, String prompt) {
        try {
            return console.readLine(prompt);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
