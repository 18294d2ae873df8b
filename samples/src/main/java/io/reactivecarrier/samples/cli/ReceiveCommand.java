package io.reactivecarrier.samples.cli;

import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.core.UserId;
import io.reactivecarrier.session.FileTransfers.IncomingFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@code carrier receive}: accepts the files friends send into a directory, one at a time, with
 * a progress bar. Only friends can reach a node at all; {@code --from} narrows it to one friend.
 */
@Command(name = "receive", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Receive files friends send (with `carrier send`) into a directory.",
                "Runs until SIGTERM or Ctrl-C, or after the first file with --once."})
final class ReceiveCommand implements Callable<Integer> {

    /** Time the verdict gets to reach the sender before --once stops the node. */

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", defaultValue = ".", paramLabel = "DIR",
            description = "Where received files go (default: the current directory).")
    Path dir;

    @Option(names = "--from", paramLabel = "FRIEND",
            description = "Accept files only from this friend (user id, its first characters, or name); refuse others.")
    String from;

    @Option(names = "--once", description = "Exit after the first file received (0) or failed (1).")
    boolean once;

    @Mixin
    NodeOptions options;

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        Files.createDirectories(dir);
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new CommandLine.ParameterException(cmd, "--dir " + dir.toAbsolutePath() + " is not a writable directory");
        }
        PrintWriter out = cmd.getOut();
        CarrierNode node = options.start(cmd);
        try {
            UserId only = from == null ? null : NodeOptions.friend(node, from);
            println(out, "user id:    " + node.userId());
            println(out, "receiving into " + dir.toAbsolutePath() + (only == null ? " from any friend"
                    : " from " + only.shortString()) + (once ? " (one file)" : "; SIGTERM or Ctrl-C stops"));
            CompletableFuture<Boolean> first = new CompletableFuture<>();
            Disposable receiving = node.files().incoming()
                    .concatMap(f -> receive(f, only, out), 1)
                    .subscribe(ok -> first.complete(ok), first::completeExceptionally);
            try {
                if (once) {
                    // accept() completes once the sender has the verdict too, so stopping now is safe
                    return first.get() ? 0 : 1;
                }
                NodeOptions.runUntilStopped(() -> { });
                return 0;
            } finally {
                receiving.dispose();
            }
        } finally {
            NodeOptions.stop(node);
        }
    }

    /** One offer: refused (empty), or accepted and run to its end (true) or failure (false). */
    private Mono<Boolean> receive(IncomingFile f, UserId only, PrintWriter out) {
        if (only != null && !only.equals(f.peer())) {
            println(out, "refused " + f.name() + " from " + f.peer().shortString() + " (not --from)");
            return f.refuse("not accepting files from you now").onErrorResume(e -> Mono.empty()).then(Mono.empty());
        }
        return Mono.fromCallable(() -> target(f.name())).subscribeOn(Schedulers.boundedElastic())
                .flatMap(target -> {
                    println(out, "receiving " + target.getFileName() + " (" + ProgressBar.size(f.size()) + ") from "
                            + f.peer().shortString());
                    ProgressBar bar = new ProgressBar(out, target.getFileName().toString());
                    Flux<io.reactivecarrier.session.TransferProgress> progress = f.accept(target);
                    return progress.doOnNext(bar::update).then(Mono.fromSupplier(() -> {
                        println(out, "received " + target.toAbsolutePath() + " from " + f.peer().shortString()
                                + ", SHA-256 verified");
                        return true;
                    }));
                })
                .onErrorResume(e -> {
                    println(out, "");
                    println(out, "file " + f.name() + " from " + f.peer().shortString() + " failed: " + CarrierCli.oneLine(e));
                    return Mono.just(false);
                });
    }

    /** A path in {@code dir} for the sender's name: only its last part, never outside dir, never over an existing file. */
    Path target(String name) throws IOException {
        String base = name == null ? "" : name.replace('\\', '/');
        base = base.substring(base.lastIndexOf('/') + 1).replaceAll("[\\p{Cntrl}]", "_");
        if (base.isBlank() || base.equals(".") || base.equals("..")) {
            base = "received-file";
        }
        Path target = dir.resolve(base);
        for (int i = 1; Files.exists(target); i++) {
            int dot = base.lastIndexOf('.');
            target = dir.resolve(dot > 0 ? base.substring(0, dot) + "-" + i + base.substring(dot) : base + "-" + i);
        }
        return target;
    }

    private static void println(PrintWriter out, String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }
}
