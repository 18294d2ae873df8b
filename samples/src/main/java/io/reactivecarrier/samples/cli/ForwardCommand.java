package io.reactivecarrier.samples.cli;

import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.session.PortForwarding.Forwarding;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code carrier forward --to FRIEND --service NAME}: a friend's service on a local TCP port until stopped. */
@Command(name = "forward", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Forward a local TCP port to a service a friend registered (carrier node --service NAME=HOST:PORT).",
                "Prints the local address, then runs until SIGTERM or Ctrl-C."})
final class ForwardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--to"}, required = true, paramLabel = "FRIEND",
            description = "The friend: user id, its first characters, or the friend's name.")
    String to;

    @Option(names = {"-s", "--service"}, required = true, paramLabel = "NAME", description = "The friend's service name.")
    String service;

    @Option(names = {"-l", "--local"}, defaultValue = "127.0.0.1:0", paramLabel = "HOST:PORT",
            description = "Local address to listen on (default: ${DEFAULT-VALUE}; port 0 = any free port).")
    String local;

    @Mixin
    NodeOptions options;

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        InetSocketAddress bind = hostPort(cmd, "--local", local);
        PrintWriter out = cmd.getOut();
        CarrierNode node = options.start(cmd);
        try {
            UserId friend = NodeOptions.friend(node, to);
            options.awaitOnline(node, friend, out);
            Forwarding f = node.forwarding().forward(friend, service, bind)
                    .block(Duration.ofSeconds(options.waitOnline));
            InetSocketAddress a = f.localAddress();
            out.println("forwarding: " + a.getAddress().getHostAddress() + ":" + a.getPort() + " -> "
                    + friend.shortString() + "/" + service);
            out.println("running; SIGTERM or Ctrl-C stops it");
            out.flush();
            NodeOptions.runUntilStopped(() -> f.close().block(Duration.ofSeconds(10)));
            out.println("stopped");
            out.flush();
            return 0;
        } finally {
            NodeOptions.stop(node);
        }
    }

    /** Parses {@code host:port} (IPv6 in brackets), saying what is wrong. */
    static InetSocketAddress hostPort(CommandLine cmd, String option, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new CommandLine.ParameterException(cmd, option + " '" + value + "' must be host:port");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(cmd, option + " '" + value + "': port must be 0..65535");
        }
        return new InetSocketAddress(host, port);
    }
}
