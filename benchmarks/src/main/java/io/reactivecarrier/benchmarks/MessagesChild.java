package io.reactivecarrier.benchmarks;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.NodeId;
import io.reactivecarrier.dht.NodeInfo;
import io.reactivecarrier.message.Message;
import io.reactivecarrier.message.MsgNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The receiving node of the {@code messages} benchmark in its own JVM (the default: as deployed,
 * one node per process, each with its own heap and collector). Arguments: data directory,
 * bootstrap node id (hex), bootstrap address ({@code host:port}), the sender's user id, the
 * window, whether to watch for hiccups ({@code true} or {@code false}). Prints
 * {@code READY <userId>}, then reads commands from stdin: {@code MEASURE <from> <to>} starts
 * measuring that range of message indices (and this JVM's CPU, GC and JIT); {@code JIT} prints
 * {@code JIT <ms>}, the time this JVM spent compiling so far; {@code REPORT} prints one line
 * {@code REPORT} followed by tab-separated {@code key=value} pairs; end of input stops the node.
 */
public final class MessagesChild {

    private MessagesChild() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: MessagesChild <dataDir> <bootIdHex> <bootHost:port> <senderUserId> <window> <hiccups>");
            System.exit(2);
        }
        ProcessMeters.watchHiccups(Boolean.parseBoolean(args[5]));
        int colon = args[2].lastIndexOf(':');
        NodeInfo boot = new NodeInfo(NodeId.fromHex(args[1]),
                new InetSocketAddress(args[2].substring(0, colon), Integer.parseInt(args[2].substring(colon + 1))));
        MsgNode node = MsgNode.start(Path.of(args[0]), List.of(boot), MessagesScenario.options(Integer.parseInt(args[4])), 0,
                UserId.parse(args[3]));
        Arrivals arrivals = new Arrivals();
        node.messages.incoming().subscribe((Message m) -> arrivals.arrived(m.body(), System.nanoTime()));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.println("READY " + node.userId());
        ProcessMeters meters = new ProcessMeters();
        MessagesScenario.NodeMeters atMeasure = MessagesScenario.NodeMeters.of(node);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                String[] p = line.trim().split(" ");
                if (p[0].equals("MEASURE")) {
                    arrivals.measure(Integer.parseInt(p[1]), Integer.parseInt(p[2]));
                    meters = new ProcessMeters();
                    atMeasure = MessagesScenario.NodeMeters.of(node);
                } else if (p[0].equals("JIT")) {
                    out.println("JIT " + ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
                } else if (p[0].equals("REPORT")) {
                    StringBuilder sb = new StringBuilder("REPORT");
                    MessagesScenario.receiverReport(node, arrivals, meters, atMeasure)
                            .forEach((k, v) -> sb.append('\t').append(k).append('=').append(v));
                    out.println(sb);
                }
            }
        } finally {
            node.stop();
        }
        System.exit(0);
    }
}
