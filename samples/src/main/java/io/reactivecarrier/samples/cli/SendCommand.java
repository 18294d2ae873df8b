package io.reactivecarrier.samples.cli;

import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.core.UserId;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code carrier send --to FRIEND FILE}: waits for the friend to be online, sends the file, shows progress. */
@Command(name = "send", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Send a file to a friend (who runs `carrier receive`).",
                "Waits for the friend to be online; exits 0 when the friend has verified the file."})
final class SendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--to"}, required = true, paramLabel = "FRIEND",
            description = "The friend: user id, its first characters, or the friend's name.")
    String to;

    @Parameters(index = "0", paramLabel = "FILE", description = "The file to send.")
    Path file;

    @Mixin
    NodeOptions options;

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new CommandLine.ParameterException(cmd, "no readable file " + file.toAbsolutePath());
        }
        PrintWriter out = cmd.getOut();
        CarrierNode node = options.start(cmd);
        try {
            UserId friend = NodeOptions.friend(node, to);
            options.awaitOnline(node, friend, out);
            out.println("sending " + file.getFileName() + " (" + ProgressBar.size(Files.size(file)) + ") to "
                    + friend.shortString());
            out.flush();
            ProgressBar bar = new ProgressBar(out, file.getFileName().toString());
            node.files().send(friend, file).doOnNext(bar::update).blockLast();
            out.println("sent " + file.getFileName() + " to " + friend.shortString() + ", verified by the receiver");
            out.flush();
            return 0;
        } finally {
            NodeOptions.stop(node);
        }
    }
}
