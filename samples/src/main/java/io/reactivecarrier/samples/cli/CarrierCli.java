package io.reactivecarrier.samples.cli;

import io.reactivecarrier.BootstrapNode;
import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.PropertiesDefaultProvider;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code carrier}: the command line people run on real machines.
 *
 * <pre>
 * java -jar samples/target/carrier.jar node --data-dir /var/lib/carrier --port 33445
 * java -jar samples/target/carrier.jar chat --data-dir alice --bootstrap 203.0.113.7:33445/&lt;nodeIdHex&gt;
 * java -jar samples/target/carrier.jar send --data-dir alice --to 4MsZ1p report.pdf
 * java -jar samples/target/carrier.jar receive --data-dir bob --dir downloads
 * java -jar samples/target/carrier.jar forward --data-dir alice --to 4MsZ1p --service web
 * java -jar samples/target/carrier.jar id --data-dir alice
 * source &lt;(java -jar samples/target/carrier.jar generate-completion)
 * </pre>
 *
 * <p>Exit codes: 0 done, 1 the command failed (one line on stderr says why), 2 bad flags or values,
 * 3 no bootstrap node answered.
 */
@Command(name = "carrier", mixinStandardHelpOptions = true, versionProvider = CarrierCli.Version.class,
        description = "reactive-carrier: run a node, chat with friends, send and receive files, forward ports, show an identity.",
        subcommands = {NodeCommand.class, ChatCommand.class, SendCommand.class, ReceiveCommand.class,
                ForwardCommand.class, IdCommand.class, AutoComplete.GenerateCompletion.class},
        footer = {"", "Shell completion (bash, zsh): source <(carrier generate-completion)"})
public final class CarrierCli implements Runnable {

    /** Exit code: no bootstrap node answered. */
    static final int UNREACHABLE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say which command to run: node, chat, send, receive, forward, id");
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line with these streams; returns the exit code. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(null, out, err, args);
    }

    /** Runs the command line with these streams, {@code in} (when not null) as {@code chat}'s input. */
    static int run(java.io.Reader in, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine(in);
        cl.setOut(out);
        cl.setErr(err);
        try {
            withConfig(cl, args);
        } catch (IllegalArgumentException e) {
            err.println("carrier: " + e.getMessage());
            err.flush();
            return cl.getCommandSpec().exitCodeOnInvalidInput();
        }
        return cl.execute(args);
    }

    /**
     * The configured command line: {@code --config FILE} (a properties file, keys are option names
     * without dashes, e.g. {@code data-dir=/var/lib/carrier}) supplies defaults for the flags; a
     * failure prints one line, never a stack trace.
     */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    private static CommandLine commandLine(java.io.Reader chatInput) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            @SuppressWarnings("unchecked")
            public <K> K create(Class<K> cls) throws Exception {
                return cls == ChatCommand.class && chatInput != null ? (K) new ChatCommand(chatInput)
                        : defaults.create(cls);
            }
        };
        CommandLine cl = new CommandLine(new CarrierCli(), factory);
        cl.registerConverter(BootstrapNode.class, new BootstrapConverter());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            err.println(cmd.getColorScheme().errorText("carrier: " + oneLine(e)));
            err.flush();
            return e instanceof UnreachableBootstrapException ? UNREACHABLE : 1;
        });
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println(cmd.getColorScheme().errorText("carrier: " + e.getMessage()));
            err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
            err.flush();
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        return cl;
    }

    /** Applies {@code --config FILE} from the arguments before parsing, so flags still override it. */
    static CommandLine withConfig(CommandLine cl, String[] args) {
        for (int i = 0; i < args.length; i++) {
            String file = null;
            if (args[i].equals("--config") && i + 1 < args.length) {
                file = args[i + 1];
            } else if (args[i].startsWith("--config=")) {
                file = args[i].substring("--config=".length());
            }
            if (file != null) {
                Path p = Path.of(file);
                if (!Files.isReadable(p)) {
                    throw new IllegalArgumentException("config file " + p.toAbsolutePath() + " is not readable");
                }
                cl.setDefaultValueProvider(new PropertiesDefaultProvider(new File(file)));
            }
        }
        return cl;
    }

    static String oneLine(Throwable e) {
        Throwable t = reactor.core.Exceptions.unwrap(e);
        String msg = t.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = t.getClass().getSimpleName();
        }
        return msg.lines().findFirst().orElse(msg);
    }

    /** Parses {@code host:port/nodeIdHex}, saying which part is wrong. */
    static final class BootstrapConverter implements ITypeConverter<BootstrapNode> {
        @Override
        public BootstrapNode convert(String value) {
            try {
                return BootstrapNode.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** The project version from the jar manifest, when there is one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = CarrierCli.class.getPackage().getImplementationVersion();
            return new String[] {"carrier " + (v == null ? "(development build)" : v)};
        }
    }

    /** No bootstrap node answered at start. */
    static final class UnreachableBootstrapException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnreachableBootstrapException(String message) {
            super(message);
        }
    }
}
