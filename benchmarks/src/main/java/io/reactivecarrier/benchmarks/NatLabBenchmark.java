package io.reactivecarrier.benchmarks;

import io.reactivecarrier.link.NatLabScenario;
import io.reactivecarrier.link.NetnsLab;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code nat-lab --scenario cone-cone|cone-symmetric|symmetric-symmetric [--rounds 3] [--ipv6]}: builds the
 * network-namespace NAT lab (root only) once per round, connects two friends behind the two
 * routers and reports the path and the connect time (median over the rounds).
 *
 * <p>{@code stream_ok} is {@code null}: reliable streams are not part of this branch.
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
        int rounds = args.integer("rounds", 3);
        boolean ipv6 = Boolean.parseBoolean(args.string("ipv6", "false"));
        String why = NetnsLab.unavailableReason();
        if (why != null) {
            throw new IllegalStateException(why);
        }
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
