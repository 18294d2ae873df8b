package io.reactivecarrier.link;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A NAT laboratory made of Linux network namespaces (root only), torn down by {@link #close()}.
 *
 * <pre>
 *   public segment 203.0.113.0/24, 2001:db8::/64 (a bridge in namespace "pub")
 *     boot  203.0.113.10 ::10   relay 203.0.113.11 ::11
 *     r1    203.0.113.1  ::1 (NAT) -- LAN 198.51.100.0/24, 2001:db8:1::/64: a .10 ::10, a2 .11 ::11
 *     r2    203.0.113.2  ::2 (NAT) -- LAN 192.0.2.0/24, 2001:db8:2::/64:    b  .10 ::10
 * </pre>
 *
 * Both families are NATed the same way (NAT44 and NAT66 masquerade).
 *
 * Each router masquerades its LAN behind its WAN address: plain {@code masquerade} is a cone NAT
 * (port-preserving, endpoint-independent mapping), {@code masquerade random,fully-random} a
 * symmetric one (a new random port per destination). Each router also drops unsolicited packets
 * addressed to itself on the WAN side ({@code ct state new drop} in its input chain), as home
 * routers do. Namespace names carry this JVM's pid, so a later run deletes the leftovers of a
 * killed one ({@link #cleanLeftovers()}).
 */
public final class NetnsLab implements AutoCloseable {

    /** How a router maps its LAN. */
    public enum Nat {
        CONE, SYMMETRIC
    }

    public static final String BOOT_IP = "203.0.113.10";
    public static final String RELAY_IP = "203.0.113.11";
    public static final String R1_WAN = "203.0.113.1";
    public static final String R2_WAN = "203.0.113.2";
    public static final String A_IP = "198.51.100.10";
    public static final String A2_IP = "198.51.100.11";
    public static final String B_IP = "192.0.2.10";
    /** IPv6 (documentation prefix 2001:db8::/32): the public segment, LAN 1 and LAN 2. */
    public static final String BOOT_IP6 = "2001:db8::10";
    public static final String RELAY_IP6 = "2001:db8::11";
    public static final String R1_WAN6 = "2001:db8::1";
    public static final String R2_WAN6 = "2001:db8::2";

    private static final String PREFIX = "rcn";
    private static final Pattern OURS = Pattern.compile("^" + PREFIX + "(\\d+)-\\S+");
    private static final long PID = ProcessHandle.current().pid();

    private final List<String> namespaces = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final java.util.Map<String, String> env = new java.util.concurrent.ConcurrentHashMap<>();
    private final Thread hook = new Thread(this::teardown, "netns-lab-teardown");
    private boolean closed;

    /** Why the lab cannot run here, or null when it can. */
    public static String unavailableReason() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return "network namespaces need Linux";
        }
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String uid = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            if (!"0".equals(uid)) {
                return "the NAT lab needs root to make network namespaces (uid is " + uid + ")";
            }
            for (String[] probe : List.of(new String[] {"ip", "netns", "list"}, new String[] {"nft", "--version"})) {
                Result r = run(probe);
                if (r.code != 0) {
                    return "'" + String.join(" ", probe) + "' is unavailable (install iproute2 and nftables): " + r.out;
                }
            }
            // root in a container may still lack CAP_SYS_ADMIN / CAP_NET_ADMIN: try one namespace
            String probe = PREFIX + PID + "-probe";
            Result add = run(new String[] {"ip", "netns", "add", probe});
            run(new String[] {"ip", "netns", "del", probe});
            if (add.code != 0) {
                return "cannot make a network namespace here: " + add.out.trim();
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            return "cannot run ip/nft: " + e;
        }
        return null;
    }

    private String label = "";

    @Override
    public String toString() {
        return label;
    }

    /** Builds the lab with the two routers' NAT kinds. */
    public static NetnsLab create(Nat left, Nat right) {
        cleanLeftovers();
        NetnsLab lab = new NetnsLab();
        lab.label = left.name().toLowerCase() + "-" + right.name().toLowerCase();
        Runtime.getRuntime().addShutdownHook(lab.hook);
        try {
            lab.build(left, right);
            return lab;
        } catch (RuntimeException | Error e) {
            lab.close();
            throw e;
        }
    }

    /** The full namespace name of a role ("boot", "relay", "a", "a2", "b", "r1", "r2", "pub"). */
    String ns(String role) {
        return PREFIX + PID + "-" + role;
    }

    private void build(Nat left, Nat right) {
        for (String role : List.of("pub", "boot", "relay", "r1", "r2", "a", "a2", "b")) {
            sh("ip", "netns", "add", ns(role));
            namespaces.add(ns(role));
            sh("ip", "-n", ns(role), "link", "set", "lo", "up");
        }
        sh("ip", "-n", ns("pub"), "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", ns("pub"), "link", "set", "br0", "up");
        attach("pub", "br0", "boot", "eth0", BOOT_IP + "/24", null, BOOT_IP6 + "/64", null);
        attach("pub", "br0", "relay", "eth0", RELAY_IP + "/24", null, RELAY_IP6 + "/64", null);
        attach("pub", "br0", "r1", "wan0", R1_WAN + "/24", null, R1_WAN6 + "/64", null);
        attach("pub", "br0", "r2", "wan0", R2_WAN + "/24", null, R2_WAN6 + "/64", null);
        sh("ip", "-n", ns("r1"), "link", "add", "lan0", "type", "bridge");
        sh("ip", "-n", ns("r1"), "addr", "add", "198.51.100.1/24", "dev", "lan0");
        sh("ip", "-n", ns("r1"), "addr", "add", "2001:db8:1::1/64", "dev", "lan0", "nodad");
        sh("ip", "-n", ns("r1"), "link", "set", "lan0", "up");
        attach("r1", "lan0", "a", "eth0", A_IP + "/24", "198.51.100.1", "2001:db8:1::10/64", "2001:db8:1::1");
        attach("r1", "lan0", "a2", "eth0", A2_IP + "/24", "198.51.100.1", "2001:db8:1::11/64", "2001:db8:1::1");
        sh("ip", "-n", ns("r2"), "link", "add", "lan0", "type", "bridge");
        sh("ip", "-n", ns("r2"), "addr", "add", "192.0.2.1/24", "dev", "lan0");
        sh("ip", "-n", ns("r2"), "addr", "add", "2001:db8:2::1/64", "dev", "lan0", "nodad");
        sh("ip", "-n", ns("r2"), "link", "set", "lan0", "up");
        attach("r2", "lan0", "b", "eth0", B_IP + "/24", "192.0.2.1", "2001:db8:2::10/64", "2001:db8:2::1");
        router("r1", left);
        router("r2", right);
    }

    /** A veth from a bridge in {@code bridgeNs} to {@code hostIf} in {@code host}, addressed and up. */
    private void attach(String bridgeNs, String bridge, String host, String hostIf, String cidr, String gateway,
            String cidr6, String gateway6) {
        String side = "v-" + host;
        sh("ip", "-n", ns(bridgeNs), "link", "add", side, "type", "veth", "peer", "name", hostIf, "netns", ns(host));
        sh("ip", "-n", ns(bridgeNs), "link", "set", side, "master", bridge);
        sh("ip", "-n", ns(bridgeNs), "link", "set", side, "up");
        sh("ip", "-n", ns(host), "addr", "add", cidr, "dev", hostIf);
        sh("ip", "-n", ns(host), "addr", "add", cidr6, "dev", hostIf, "nodad");
        sh("ip", "-n", ns(host), "link", "set", hostIf, "up");
        if (gateway != null) {
            sh("ip", "-n", ns(host), "route", "add", "default", "via", gateway);
            sh("ip", "-n", ns(host), "-6", "route", "add", "default", "via", gateway6);
        }
    }

    private void router(String role, Nat nat) {
        // (through /proc rather than sysctl(8), which a minimal image may lack)
        sh("ip", "netns", "exec", ns(role), "sh", "-c",
                "echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding");
        String masq = nat == Nat.CONE ? "masquerade" : "masquerade random,fully-random";
        String rules = """
                table ip nat {
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "wan0" %s
                  }
                }
                table ip6 nat {
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "wan0" %s
                  }
                }
                table inet filter {
                  chain input {
                    type filter hook input priority 0; policy accept;
                    iifname "wan0" ct state new drop
                  }
                }
                """.formatted(masq, masq);
        Result r = run(rules, "ip", "netns", "exec", ns(role), "nft", "-f", "-");
        if (r.code != 0) {
            throw new IllegalStateException("nft failed in " + ns(role) + ": " + r.out);
        }
    }

    /** Runs a command inside a namespace and returns its output; fails on a non-zero exit. */
    public String exec(String role, String... cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
        full.addAll(List.of(cmd));
        return sh(full.toArray(String[]::new));
    }

    /** Sets an environment variable for the JVMs started from now on (e.g. {@code LAB_BIND=::}). */
    public NetnsLab env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /**
     * Sets the options of the JVMs started from now on (by default {@code -XX:TieredStopAtLevel=1
     * -XX:+UseSerialGC -Xmx192m -Xss512k}: quick to start; bulk transfers want the full JIT).
     */
    public NetnsLab jvmOptions(String... options) {
        jvmOptions = List.of(options);
        return this;
    }

    private volatile List<String> jvmOptions = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx192m",
            "-Xss512k");

    /** Starts {@code main} in a JVM inside a namespace; its stdout lines are readable, its stdin writable. */
    public Node start(String role, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(role),
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        try {
            Path err = Files.createTempFile("netns-" + role + "-", ".log");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            Node n = new Node(role, p, err);
            synchronized (nodes) {
                nodes.add(n);
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills the nodes and deletes the namespaces. Idempotent. */
    @Override
    public void close() {
        teardown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs or ran
        }
    }

    private synchronized void teardown() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (nodes) {
            for (Node n : nodes) {
                n.process.destroyForcibly();
            }
            for (Node n : nodes) {
                try {
                    n.process.waitFor(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (String n : namespaces) {
            run(new String[] {"ip", "netns", "del", n});
        }
    }

    /** Deletes the namespaces of earlier lab runs whose JVM is gone. */
    static void cleanLeftovers() {
        Result r = run(new String[] {"ip", "netns", "list"});
        for (String line : r.out.split("\n")) {
            Matcher m = OURS.matcher(line.trim());
            if (m.find()) {
                long pid = Long.parseLong(m.group(1));
                if (pid != PID && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue; // another live lab
                }
                if (pid == PID) {
                    continue;
                }
                String name = line.trim().split("\\s+")[0];
                killProcessesIn(name);
                run(new String[] {"ip", "netns", "del", name});
            }
        }
    }

    private static void killProcessesIn(String ns) {
        Result pids = run(new String[] {"ip", "netns", "pids", ns});
        for (String p : pids.out.split("\\s+")) {
            if (p.matches("\\d+")) {
                ProcessHandle.of(Long.parseLong(p)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private static String sh(String... cmd) {
        Result r = run(cmd);
        if (r.code != 0) {
            throw new IllegalStateException("'" + String.join(" ", cmd) + "' failed (" + r.code + "): " + r.out);
        }
        return r.out;
    }

    record Result(int code, String out) {
    }

    private static Result run(String[] cmd) {
        return run(null, cmd);
    }

    private static Result run(String stdin, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + out);
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, e.toString());
        }
    }

    /** A JVM inside a namespace: line-oriented stdin/stdout. */
    public static final class Node {
        final String role;
        final Process process;
        final Path stderr;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final PrintStream in;

        Node(String role, Process process, Path stderr) {
            this.role = role;
            this.process = process;
            this.stderr = stderr;
            this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // killed
                }
                lines.add("EOF");
            }, "netns-" + role + "-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        /** Sends one command line. */
        public void send(String line) {
            in.println(line);
        }

        /** The next line starting with {@code prefix} (others are skipped), failing after {@code seconds}. */
        public String expect(String prefix, int seconds) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            try {
                while (true) {
                    long left = deadline - System.nanoTime();
                    String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
                    if (line == null || line.equals("EOF")) {
                        throw new AssertionError(role + ": no line '" + prefix + "...' within " + seconds + " s"
                                + (line == null ? "" : " (the process exited)") + "; stderr tail:\n" + stderrTail());
                    }
                    if (line.startsWith(prefix)) {
                        return line.substring(prefix.length()).trim();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        String stderrTail() {
            try {
                List<String> all = Files.readAllLines(stderr);
                return String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
            } catch (IOException e) {
                return e.toString();
            }
        }
    }
}
