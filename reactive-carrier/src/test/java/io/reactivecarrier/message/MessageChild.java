package io.reactivecarrier.message;

import io.reactivecarrier.core.UserId;
import io.reactivecarrier.dht.NodeId;
import io.reactivecarrier.dht.NodeInfo;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A message node in its own JVM, for the kill -9 tests. Arguments:
 * {@code send|drain|receive DIR PORT BOOT_HOST:BOOT_PORT/BOOT_ID_HEX FRIEND_USER_ID [FIRST]}.
 * <ul>
 * <li>{@code send}: prints {@code READY <userId>}, then sends {@code m<FIRST>}, {@code m<FIRST+1>}, ...
 *     one after another for ever, printing {@code ACK <text>} once each send's Mono completed.</li>
 * <li>{@code drain}: prints {@code READY <userId>}, sends nothing, prints {@code EMPTY} once the outbox is empty.</li>
 * <li>{@code receive}: prints {@code READY <userId>}, then {@code GOT <text> <redelivered>} for each message.</li>
 * </ul>
 */
public final class MessageChild {

    private MessageChild() {
    }

    public static void main(String[] args) throws Exception {
        io.reactivecarrier.testing.BlockHoundSetup.install(); // as in the test JVM that started this one
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String mode = args[0];
        Path dir = Path.of(args[1]);
        int port = Integer.parseInt(args[2]);
        String[] boot = args[3].split("/");
        String[] hp = boot[0].split(":");
        NodeInfo bootNode = new NodeInfo(NodeId.fromHex(boot[1]), new InetSocketAddress(hp[0], Integer.parseInt(hp[1])));
        UserId friend = UserId.parse(args[4]);
        MessageOptions options = MessageOptions.create().offlineAfter(Duration.ofSeconds(30))
                .connectRetry(Duration.ofMillis(300)).retransmitTimeout(Duration.ofMillis(300));
        MsgNode node = MsgNode.start(dir, List.of(bootNode), options, port, friend);
        out.println("READY " + node.userId());
        switch (mode) {
            case "send" -> {
                long first = Long.parseLong(args[5]);
                for (long i = first; ; i++) {
                    String text = "m" + i;
                    node.messages.enqueue(friend, text).block(MsgNode.T); // durable in the outbox
                    out.println("ACK " + text);
                }
            }
            case "drain" -> {
                while (node.store.outbox().pending().count().block(MsgNode.T) > 0) {
                    Thread.sleep(100);
                }
                out.println("EMPTY");
                Thread.sleep(Long.MAX_VALUE);
            }
            case "receive" -> {
                node.messages.incoming().doOnNext(m -> out.println("GOT " + m.text() + " " + m.redelivered()))
                        .blockLast();
            }
            default -> throw new IllegalArgumentException(mode);
        }
    }
}
