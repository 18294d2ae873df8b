package io.reactivecarrier.samples.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.List;
import org.jline.reader.Candidate;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.history.DefaultHistory;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * Where {@code carrier chat} reads its lines and prints what arrives: a JLine line editor on a
 * terminal (history, arrow keys, completion of the commands, and lines arriving printed above the
 * prompt without disturbing what is being typed), or plain lines when standard input is not a
 * terminal (pipes, scripts, tests).
 */
interface ChatConsole extends AutoCloseable {

    /** The next line the user typed, or null at the end of input (Ctrl-D, a closed pipe, Ctrl-C). */
    String readLine(String prompt) throws IOException;

    /** Prints one line (possibly several, separated by line breaks); safe from any thread. */
    void print(String line);

    /** True when lines are edited by JLine (the prompt is shown). */
    boolean editing();

    @Override
    void close();

    /**
     * The console of this process: JLine on the system terminal when standard input and output
     * are both a terminal, otherwise plain lines from standard input printed to {@code out}.
     */
    static ChatConsole system(Reader stdin, PrintWriter out) {
        if (System.console() != null) {
            try {
                Terminal terminal = TerminalBuilder.builder().system(true).dumb(false).name("carrier chat").build();
                return new Editing(terminal);
            } catch (IOException | RuntimeException | LinkageError e) {
                // no usable terminal after all (an unknown platform, no stty): plain lines still work
                out.println("(no line editing: " + CarrierCli.oneLine(e) + ")");
            }
        }
        return new Plain(stdin, out);
    }

    /** Plain lines: the terminal's own editing only; what arrives is printed as it comes. */
    final class Plain implements ChatConsole {
        private final BufferedReader in;
        private final PrintWriter out;

        Plain(Reader in, PrintWriter out) {
            this.in = in instanceof BufferedReader b ? b : new BufferedReader(in);
            this.out = out;
        }

        @Override
        public String readLine(String prompt) throws IOException {
            return in.readLine();
        }

        @Override
        public void print(String line) {
            synchronized (out) {
                out.println(line);
                out.flush();
            }
        }

        @Override
        public boolean editing() {
            return false;
        }

        @Override
        public void close() {
            out.flush();
        }
    }

    /**
     * A JLine {@link LineReader} on a terminal: emacs key bindings, history of this session (Up,
     * Down, Ctrl-R), Tab completes the commands, and {@link LineReader#printAbove} puts incoming
     * lines above the prompt and redraws the line being typed.
     */
    final class Editing implements ChatConsole {
        private final Terminal terminal;
        private final LineReader reader;

        Editing(Terminal terminal) {
            this.terminal = terminal;
            this.reader = LineReaderBuilder.builder().terminal(terminal).appName("carrier-chat")
                    .history(new DefaultHistory())
                    .completer((r, line, candidates) -> {
                        if (line.wordIndex() == 0 && line.word().startsWith("/")) {
                            for (String c : COMMANDS) {
                                candidates.add(new Candidate(c));
                            }
                        }
                    })
                    // the chat's lines are text: no "!" history expansion, no escapes eaten
                    .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                    .variable(LineReader.HISTORY_SIZE, 500)
                    .build();
        }

        /** The commands Tab completes. */
        static final List<String> COMMANDS = List.of("/add", "/requests", "/accept", "/refuse", "/friends", "/to",
                "/msg", "/address", "/help", "/quit");

        @Override
        public String readLine(String prompt) {
            try {
                return reader.readLine(prompt);
            } catch (EndOfFileException | UserInterruptException e) {
                return null; // Ctrl-D, or Ctrl-C: leave as /quit does
            } catch (java.io.IOError e) {
                throw new UncheckedIOException(new IOException("terminal failed: " + e.getMessage(), e));
            }
        }

        @Override
        public void print(String line) {
            // printAbove is thread safe: while a line is being read it prints above the prompt and
            // redraws the prompt and the half-typed line; otherwise it just prints
            reader.printAbove(line);
        }

        @Override
        public boolean editing() {
            return true;
        }

        LineReader reader() {
            return reader;
        }

        @Override
        public void close() {
            try {
                terminal.writer().flush();
                terminal.close();
            } catch (IOException e) {
                // nothing left to restore
            }
        }
    }
}
