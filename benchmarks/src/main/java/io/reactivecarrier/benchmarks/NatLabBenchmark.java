package io.reactivecarrier.benchmarks;

import io.reactivecarrier.NodeLabScenario;
import io.reactivecarrier.link.NatLabScenario;
import io.reactivecarrier.link.NetnsLab;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code nat-lab --scenario cone-cone|cone-symmetric|symmetric-symmetric [--rounds 1] [--mib 100]}: builds the
 * network-namespace NAT lab (root only) once per round with whole nodes ({@code Carrier.builder()} in
 * child JVMs: a bootstrap node, a relay node, users a and b behind the two routers); a asks b for
 * friendship, b accepts, a message goes each way and a sends b a reliable stream of {@code --mib} MiB.
 * Reports the stream's path, {@code connect_s} (b's accept until b sees a online, median),
 * {@code messages_ok}, {@code stream_ok} (SHA-256 of both ends) and the stream's {@code mb_per_s}
 * (median).
 *
 * <p>{@code --level link [--ipv6]} runs the older link-level lab instead (hand-composed link managers,
 * a message each way, no stream; {@code connect_s} around {@code LinkManager.connect}).
 */
final class NatLabBenchmark {

    private NatLabBenchmark() {
    }

    static Json run(Args args) {
        String scenario = args.string("scenario", "cone-cone");
        String[] sides = scenario.split("-");
        if (sides.length != 2) {
            throw new IllegalArgumentException("--scenario is cone-cone, cone-symmetric or symmetric-symmetric");
        }
        NetnsLab.Nat left = nat(sides[0]);
        NetnsLab.Nat right = nat(sides[1]);
        String why = NetnsLab.unavailableReason();
        if (why != null) {
            throw new IllegalStateException(why);
        }
        String level = args.string("level", "node");
        if (level.equals("link")) {
            return linkLevel(args, scenario, left, right);
        }
        if (!level.equals("node")) {
            throw new IllegalArgumentException("--level is node (whole nodes, the default) or link");
        }
        if (Boolean.parseBoolean(args.string("ipv6", "false"))) {
            throw new IllegalArgumentException("--ipv6 is supported with --level link only");
        }
        int rounds = args.integer("rounds", 1);
        long bytes = (long) args.integer("mib", 100) << 20;
        List<Double> connect = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        boolean messagesOk = true;
        boolean streamOk = true;
        NodeLabScenario.Result last = null;
        for (int i = 0; i < rounds; i++) {
            try (NetnsLab lab = NetnsLab.create(left, right)) {
                last = NodeLabScenario.run(lab, bytes);
                connect.add(last.connectMs() / 1000.0);
                rates.add(last.mbPerSecond());
                paths.add(last.path().toLowerCase());
                messagesOk &= last.messagesOk();
                streamOk &= last.streamOk();
            }
        }
        connect.sort(Double::compare);
        rates.sort(Double::compare);
        List<Object> pathList = Json.list();
        pathList.addAll(paths);
        return Json.object()
                .put("scenario", "nat-lab")
                .put("nat", scenario)
                .put("level", "node")
                .put("path", paths.get(paths.size() / 2))
                .put("paths", pathList)
                .put("connect_s", connect.get(connect.size() / 2))
                .put("connect_s_max", connect.get(connect.size() - 1))
                .put("rounds", rounds)
                .put("messages_ok", messagesOk)
                .put("stream_ok", streamOk)
                .put("stream_mib", bytes >> 20)
                .put("mb_per_s", rates.get(rates.size() / 2))
                .put("max_packet_size", last.maxPacketSize())
                .put("relays_found", last.relays())
                .put("nat_a", last.aNat())
                .put("nat_b", last.bNat());
    }

    /** The link-level lab: hand-composed link managers, a message each way, no stream. */
    private static Json linkLevel(Args args, String scenario, NetnsLab.Nat left, NetnsLab.Nat right) {
        int rounds = args.integer("rounds", 3);
        boolean ipv6 = Boolean.parseBoolean(args.string("ipv6", "false"));
        List<Double> connect = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        boolean messagesOk = true;
        NatLabScenario.Result last = null;
        for (int i = 0; i < rounds; i++) {
            try (NetnsLab lab = NetnsLab.create(left, right)) {
                last = NatLabScenario.start(lab, ipv6).connectAndTalk();
                connect.add(last.connectMs() / 1000.0);
                paths.add(last.path().toLowerCase());
                messagesOk &= last.messagesOk();
            }
        }
        connect.sort(Double::compare);
        List<Object> pathList = Json.list();
        pathList.addAll(paths);
        return Json.object()
                .put("scenario", "nat-lab")
                .put("nat", scenario)
                .put("level", "link")
                .put("ip", ipv6 ? 6 : 4)
                .put("path", paths.get(paths.size() / 2))
                .put("paths", pathList)
                .put("connect_s", connect.get(connect.size() / 2))
                .put("connect_s_max", connect.get(connect.size() - 1))
                .put("rounds", rounds)
                .put("messages_ok", messagesOk)
                .put("stream_ok", null)
                .put("nat_a", last.aNat())
                .put("nat_b", last.bNat());
    }

    private static NetnsLab.Nat nat(String s) {
        return switch (s) {
            case "cone" -> NetnsLab.Nat.CONE;
            case "symmetric" -> NetnsLab.Nat.SYMMETRIC;
            default -> throw new IllegalArgumentException("unknown NAT '" + s + "': cone or symmetric");
        };
    }
}
