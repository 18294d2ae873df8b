package io.reactivecarrier.samples.cli;

import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.core.Address;
import io.reactivecarrier.core.InvalidAddressException;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.friend.Friend;
import io.reactivecarrier.friend.FriendEvent;
import io.reactivecarrier.friend.FriendRequest;
import io.reactivecarrier.message.Message;
import io.reactivecarrier.message.Receipt;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.Charset;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import org.jline.terminal.Terminal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * {@code carrier chat}: a terminal chat. Prints this node's address, then reads commands and
 * lines from standard input ({@code /add}, {@code /accept}, {@code /friends}, {@code /to}, ...)
 * and prints friend requests, presence changes and messages as they arrive.
 *
 * <p>On a terminal, lines are edited with JLine ({@link ChatConsole}): history, arrow keys, Tab
 * completion of the commands, and what arrives is printed above the prompt without disturbing the
 * line being typed. When standard input is not a terminal (a pipe, a script), plain lines are read.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat with friends in the terminal.",
                "Prints your address; type /help for the commands. Ctrl-D or /quit leaves."})
final class ChatCommand implements Callable<Integer> {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    static final String HELP = String.join(System.lineSeparator(),
            "commands:",
            "  /add <address> [hello]    send a friend request (the address the other side printed)",
            "  /requests                 pending friend requests",
            "  /accept <user>            accept a request (user id or its first characters)",
            "  /refuse <user>            refuse a request",
            "  /friends                  your friends and who is online",
            "  /to <friend>              talk to a friend: the next lines are messages to them",
            "  /msg <friend> <text>      one message, without switching",
            "  /address                  your address again",
            "  /quit                     leave (Ctrl-D too)");

    @Spec
    CommandSpec spec;

    @Mixin
    NodeOptions options;

    /** Where lines come from: standard input, or what a test gives. */
    private final Reader input;
    /** A test's (virtual) terminal, edited with JLine as the system terminal would be. */
    private final Terminal terminal;

    ChatCommand() {
        this(null, null);
    }

    ChatCommand(Reader input) {
        this(input, null);
    }

    ChatCommand(Terminal terminal) {
        this(null, terminal);
    }

    private ChatCommand(Reader input, Terminal terminal) {
        this.input = input;
        this.terminal = terminal;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        CarrierNode node = options.start(spec.commandLine());
        try (ChatConsole console = console(out)) {
            Chat chat = new Chat(node, console);
            try {
                chat.start();
                String line;
                while ((line = console.readLine(chat.prompt())) != null) {
                    if (!chat.handle(line)) {
                        break;
                    }
                }
                chat.print("bye");
            } finally {
                chat.close();
            }
            return 0;
        } finally {
            NodeOptions.stop(node);
        }
    }

    /** JLine on a terminal (the system's, or a test's); plain lines from a pipe or a test's reader. */
    private ChatConsole console(PrintWriter out) {
        if (terminal != null) {
            return new ChatConsole.Editing(terminal);
        }
        if (input != null) {
            return new ChatConsole.Plain(input, out);
        }
        out.flush();
        return ChatConsole.system(new InputStreamReader(System.in, Charset.defaultCharset()), out);
    }

    /**
     * One chat over a running node: the commands, and the printing of what arrives. Everything
     * arriving is printed on one thread of its own, in order, never on the node's event loop.
     */
    static final class Chat implements AutoCloseable {

        private final CarrierNode node;
        private final ChatConsole console;
        /** A plain thread (not a non-blocking one): printing may block on the terminal. */
        private final Scheduler printer = Schedulers.fromExecutorService(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "carrier-chat-print");
            t.setDaemon(true);
            return t;
        }));
        private final Disposable.Composite subscriptions = Disposables.composite();
        /** Pending requests seen, by user id text (sorted, so prefixes match in a stable order). */
        private final Map<String, FriendRequest> pending = new ConcurrentSkipListMap<>();
        private volatile UserId current;

        Chat(CarrierNode node, ChatConsole console) {
            this.node = node;
            this.console = console;
        }

        /** The prompt of the line editor: the friend the lines go to. */
        String prompt() {
            UserId to = current;
            return (to == null ? "" : to.shortString()) + "> ";
        }

        void start() {
            print("user id:    " + node.userId());
            print("address:    " + node.address() + "   (give it to friends: /add <address> on their side)");
            print("type /help for the commands; Ctrl-D or /quit leaves");
            subscriptions.add(node.friends().requests().publishOn(printer).subscribe(r -> {
                boolean fresh = pending.put(r.from().toString(), r) == null;
                if (fresh) {
                    print("friend request from " + r.from() + ": \"" + oneLine(r.hello()) + "\"  (/accept "
                            + r.from().shortString() + " or /refuse " + r.from().shortString() + ")");
                }
            }, e -> print("friend requests stopped: " + CarrierCli.oneLine(e))));
            subscriptions.add(node.friends().events().publishOn(printer).subscribe(this::onEvent,
                    e -> print("friend events stopped: " + CarrierCli.oneLine(e))));
            subscriptions.add(node.messages().incoming().publishOn(printer, 32).subscribe(this::onMessage,
                    e -> print("incoming messages stopped: " + CarrierCli.oneLine(e))));
        }

        private void onEvent(FriendEvent e) {
            String who = name(e.friend());
            switch (e.type()) {
                case ADDED -> {
                    pending.remove(e.id().toString());
                    print(who + " is now your friend (/to " + e.id().shortString() + " to talk)");
                }
                case REMOVED -> print(who + " is no longer your friend");
                case ONLINE -> print(who + " is online");
                case OFFLINE -> print(who + " is offline");
                case PRESENCE_CHANGED -> print(who + " is " + e.friend().presence().name().toLowerCase(Locale.ROOT));
                case PROFILE_CHANGED -> print(e.id().shortString() + " is now called " + who);
                case LABEL_CHANGED -> { }
            }
        }

        private void onMessage(Message m) {
            String who = node.friends().friend(m.sender()).map(Chat::name).blockOptional(Duration.ofSeconds(5))
                    .orElse(m.sender().shortString());
            LocalTime at = LocalTime.ofInstant(Instant.ofEpochMilli(m.sentAtMillis()), ZoneId.systemDefault());
            print("[" + at.format(CLOCK) + "] " + who + ": " + oneLine(m.text()) + (m.offline() ? "   (sent while you were away)" : ""));
        }

        /** Handles one input line; false when the chat should end. */
        boolean handle(String raw) {
            String line = raw.strip();
            if (line.isEmpty()) {
                return true;
            }
            if (!line.startsWith("/")) {
                UserId to = current;
                if (to == null) {
                    print("choose a friend first: /to <friend> (/friends lists them)");
                } else {
                    send(to, raw);
                }
                return true;
            }
            String[] parts = line.split("\\s+", 3);
            String cmd = parts[0].toLowerCase(Locale.ROOT);
            String arg = parts.length > 1 ? parts[1] : "";
            String rest = parts.length > 2 ? parts[2] : "";
            switch (cmd) {
                case "/quit", "/exit" -> {
                    return false;
                }
                case "/help" -> print(HELP);
                case "/address" -> print("address:    " + node.address());
                case "/add" -> add(arg, rest);
                case "/requests" -> requests();
                case "/accept" -> accept(arg);
                case "/refuse" -> refuse(arg);
                case "/friends" -> friends();
                case "/to" -> to(arg);
                case "/msg" -> {
                    UserId friend = friendOf(arg);
                    if (friend != null) {
                        if (rest.isBlank()) {
                            print("/msg needs a text: /msg <friend> <text>");
                        } else {
                            send(friend, rest);
                        }
                    }
                }
                default -> print("unknown command " + cmd + "; /help lists the commands");
            }
            return true;
        }

        private void add(String addressText, String hello) {
            if (addressText.isEmpty()) {
                print("/add needs an address: /add <address> [hello]");
                return;
            }
            Address address;
            try {
                address = Address.parse(addressText);
            } catch (InvalidAddressException e) {
                print("bad address: " + CarrierCli.oneLine(e));
                return;
            }
            String text = hello.isBlank() ? "hi, it's " + node.userId().shortString() : hello;
            node.friends().request(address, text)
                    .subscribe(null, e -> print("friend request to " + address.userId().shortString() + " failed: "
                            + CarrierCli.oneLine(e)), () -> print("friend request sent to "
                            + address.userId().shortString() + "; you are friends once they accept"));
        }

        private void requests() {
            if (pending.isEmpty()) {
                print("no pending friend requests");
            }
            pending.values().forEach(r -> print("  " + r.from() + "  \"" + oneLine(r.hello()) + "\""));
        }

        private void accept(String prefix) {
            FriendRequest r = requestOf(prefix, "/accept");
            if (r != null) {
                r.accept().subscribe(f -> {
                    pending.remove(f.id().toString());
                    print("accepted " + f.id().shortString());
                }, e -> print("accept failed: " + CarrierCli.oneLine(e)));
            }
        }

        private void refuse(String prefix) {
            FriendRequest r = requestOf(prefix, "/refuse");
            if (r != null) {
                r.refuse().subscribe(null, e -> print("refuse failed: " + CarrierCli.oneLine(e)), () -> {
                    pending.remove(r.from().toString());
                    print("refused " + r.from().shortString());
                });
            }
        }

        private FriendRequest requestOf(String prefix, String cmd) {
            if (prefix.isEmpty()) {
                print(cmd + " needs a user id or its first characters (/requests lists them)");
                return null;
            }
            List<FriendRequest> matches = pending.values().stream().filter(r -> r.from().toString().startsWith(prefix))
                    .toList();
            if (matches.size() == 1) {
                return matches.get(0);
            }
            print(matches.isEmpty() ? "no pending request from '" + prefix + "'; /requests lists them"
                    : "'" + prefix + "' matches " + matches.size() + " requests; type more characters");
            return null;
        }

        private void friends() {
            List<Friend> list = node.friends().list().collectList().block(Duration.ofSeconds(10));
            if (list == null || list.isEmpty()) {
                print("no friends yet: /add <address> sends a request");
                return;
            }
            for (Friend f : list) {
                print("  " + f.id() + "  " + name(f) + "  " + f.presence().name().toLowerCase(Locale.ROOT)
                        + (f.id().equals(current) ? "  (talking to)" : ""));
            }
        }

        private void to(String who) {
            UserId friend = friendOf(who);
            if (friend != null) {
                current = friend;
                print("talking to " + node.friends().friend(friend).map(Chat::name).block(Duration.ofSeconds(5))
                        + (node.friends().presence(friend).isOnline() ? "" : " (offline: messages wait for them)"));
            }
        }

        /** The friend whose user id starts with {@code prefix}, or whose label or name is it; prints why not. */
        private UserId friendOf(String prefix) {
            if (prefix.isEmpty()) {
                print("name a friend: a user id, its first characters, or the friend's name");
                return null;
            }
            List<Friend> list = node.friends().list().collectList().block(Duration.ofSeconds(10));
            List<Friend> matches = list.stream().filter(f -> f.id().toString().startsWith(prefix)).toList();
            if (matches.isEmpty()) {
                matches = list.stream().filter(f -> prefix.equalsIgnoreCase(f.label()) || prefix.equalsIgnoreCase(f.name()))
                        .toList();
            }
            if (matches.size() == 1) {
                return matches.get(0).id();
            }
            print(matches.isEmpty() ? "no friend matches '" + prefix + "'; /friends lists them"
                    : "'" + prefix + "' matches " + matches.size() + " friends; type more characters");
            return null;
        }

        private void send(UserId to, String text) {
            // completes DELIVERED (the friend's node has it) or STORED_OFFLINE (sealed in the friend's DHT mailbox)
            node.messages().send(to, text).publishOn(printer).subscribe(r -> {
                if (r.status() == Receipt.Status.STORED_OFFLINE) {
                    print("(" + to.shortString() + " is offline: the message waits in the DHT until they are back)");
                }
            }, e -> print("message to " + to.shortString() + " not sent: " + CarrierCli.oneLine(e)));
        }

        static String name(Friend f) {
            if (!f.label().isEmpty()) {
                return oneLine(f.label());
            }
            return f.name().isEmpty() ? f.id().shortString() : oneLine(f.name());
        }

        private static String oneLine(String text) {
            return text.replaceAll("[\\r\\n\\p{Cntrl}]+", " ");
        }

        void print(String line) {
            console.print(line);
        }

        @Override
        public void close() {
            subscriptions.dispose();
            printer.dispose();
        }
    }
}
