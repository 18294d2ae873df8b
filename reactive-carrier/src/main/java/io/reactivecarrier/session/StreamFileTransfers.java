package io.reactivecarrier.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.reactivecarrier.core.UserId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/** {@link FileTransfers}: one reliable stream per transfer, control messages on its main channel, the bytes on a "data" channel. */
final class StreamFileTransfers implements FileTransfers {

    private static final Logger log = LoggerFactory.getLogger(StreamFileTransfers.class);

    static final int CHUNK = 64 << 10;
    static final Duration SAMPLE = Duration.ofMillis(250);
    static final String CANCELLED_BY_SENDER = "transfer cancelled by the sender";
    static final String CANCELLED_BY_RECEIVER = "transfer cancelled by the receiver";
    static final Duration ANSWER_TIMEOUT = Duration.ofMinutes(10);

    private final Sessions sessions;
    private final Sinks.Many<IncomingFile> incoming = Sinks.many().multicast().onBackpressureBuffer(32, false);
    private final Set<Transfer> running = ConcurrentHashMap.newKeySet();
    private final Disposable answering;

    StreamFileTransfers(Sessions sessions) {
        this.sessions = Objects.requireNonNull(sessions, "sessions");
        this.answering = sessions.requests(SERVICE).subscribe(this::answer,
                e -> log.warn("file transfers stopped answering: {}", e.toString()));
    }

    @Override
    public FileTransfer transfer(UserId friend, Path file) {
        Objects.requireNonNull(friend, "friend");
        Objects.requireNonNull(file, "file");
        return new Outgoing(friend, file);
    }

    @Override
    public Flux<IncomingFile> incoming() {
        return incoming.asFlux();
    }

    @Override
    public Mono<Void> close() {
        return Mono.fromRunnable(() -> {
            answering.dispose();
            incoming.tryEmitComplete();
            running.forEach(t -> t.interrupt("file transfers closed"));
        });
    }

    // ================================================================== shared

    /** Pauses a pipeline without blocking a thread. */
    static final class Gate {
        private final AtomicReference<Sinks.Empty<Void>> closed = new AtomicReference<>();

        void pause() {
            closed.compareAndSet(null, Sinks.empty());
        }

        void resume() {
            Sinks.Empty<Void> s = closed.getAndSet(null);
            if (s != null) {
                s.tryEmitEmpty();
            }
        }

        /** Runs {@code work} now when open, or on a bounded-elastic thread once resumed. */
        <T> Mono<T> through(Mono<T> work) {
            Sinks.Empty<Void> s = closed.get();
            return s == null ? work : s.asMono().publishOn(Schedulers.boundedElastic()).then(work);
        }
    }

    /** What both directions share: progress sampling, pause, cancel. */
    abstract class Transfer implements FileTransfer {
        final Gate gate = new Gate();
        final AtomicLong bytes = new AtomicLong();
        volatile long total = -1;
        volatile long resumedFrom;
        volatile CarrierStream stream;
        volatile boolean cancelled;
        final AtomicBoolean started = new AtomicBoolean();
        volatile FluxSink<TransferProgress> sink;
        long lastBytes;
        long lastAt;
        double rate;

        @Override
        public void pause() {
            gate.pause();
        }

        @Override
        public void resume() {
            gate.resume();
        }

        @Override
        public void cancel() {
            cancelled = true;
            gate.resume();
            CarrierStream s = stream;
            if (s != null) {
                s.close(cancelReason()).subscribe(null, e -> { });
            }
            fail(new FileTransferException(FileTransferException.Reason.CANCELLED, cancelReason()));
        }

        abstract String cancelReason();

        abstract Mono<Void> run();

        void interrupt(String why) {
            CarrierStream s = stream;
            if (s != null) {
                s.close(why).subscribe(null, e -> { });
            }
            fail(new FileTransferException(FileTransferException.Reason.INTERRUPTED, why));
        }

        Flux<TransferProgress> start() {
            return Flux.<TransferProgress>create(s -> {
                if (!started.compareAndSet(false, true)) {
                    s.error(new IllegalStateException("a transfer's progress can be subscribed once"));
                    return;
                }
                sink = s;
                running.add(this);
                lastAt = System.nanoTime();
                reactor.core.Disposable.Composite resources = reactor.core.Disposables.composite();
                s.onCancel(() -> {
                    if (!cancelled) {
                        cancel();
                    }
                });
                s.onDispose(() -> {
                    running.remove(this);
                    Schedulers.boundedElastic().schedule(resources::dispose);
                });
                resources.add(Flux.interval(SAMPLE, Schedulers.boundedElastic()).subscribe(t -> sample(false)));
                resources.add(run().subscribe(null, this::fail, () -> {
                    sample(true);
                    s.complete();
                }));
            }, FluxSink.OverflowStrategy.LATEST);
        }

        synchronized void sample(boolean done) {
            FluxSink<TransferProgress> s = sink;
            if (s == null || total < 0) {
                return;
            }
            long now = System.nanoTime();
            long b = bytes.get();
            double dt = (now - lastAt) / 1e9;
            if (dt > 0.05) {
                double r = (b - lastBytes) / dt;
                rate = rate == 0 ? r : 0.7 * rate + 0.3 * r;
                lastBytes = b;
                lastAt = now;
            }
            Duration eta = done ? Duration.ZERO
                    : rate > 1 ? Duration.ofMillis((long) ((total - b) / rate * 1000)) : null;
            s.next(new TransferProgress(b, total, resumedFrom, rate, eta, done));
        }

        void fail(Throwable e) {
            FluxSink<TransferProgress> s = sink;
            if (s != null) {
                s.error(e);
            }
        }
    }

    static Throwable interrupted(Throwable e, String cancelledBy) {
        String m = String.valueOf(e.getMessage());
        if (e instanceof FileTransferException || e instanceof Done) {
            return e;
        }
        if (m.contains(cancelledBy)) {
            return new FileTransferException(FileTransferException.Reason.CANCELLED, cancelledBy, e);
        }
        if (e instanceof IOException) {
            return new FileTransferException(FileTransferException.Reason.IO, m, e);
        }
        return new FileTransferException(FileTransferException.Reason.INTERRUPTED,
                "the transfer broke off (send again to resume): " + m, e);
    }

    static byte[] hashFile(Path file, long length) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long left = length;
            while (left > 0) {
                buf.clear().limit((int) Math.min(buf.capacity(), left));
                int n = ch.read(buf);
                if (n < 0) {
                    throw new IOException(file + " is shorter than " + length + " bytes");
                }
                buf.flip();
                md.update(buf);
                left -= n;
            }
        }
        return md.digest();
    }

    /** Closes a file channel on a bounded-elastic thread (cancellation may arrive on an event loop). */
    static void closeLater(FileChannel ch) {
        Schedulers.boundedElastic().schedule(() -> {
            try {
                ch.close();
            } catch (IOException e) {
                log.debug("closing a file: {}", e.toString());
            }
        });
    }

    // ================================================================== sender

    final class Outgoing extends Transfer {
        final UserId friend;
        final Path file;

        Outgoing(UserId friend, Path file) {
            this.friend = friend;
            this.file = file;
        }

        @Override
        public Flux<TransferProgress> progress() {
            return start();
        }

        @Override
        String cancelReason() {
            return CANCELLED_BY_SENDER;
        }

        @Override
        Mono<Void> run() {
            return Mono.fromCallable(() -> {
                        if (!Files.isRegularFile(file)) {
                            throw new FileTransferException(FileTransferException.Reason.IO, file + " is not a readable file");
                        }
                        long size = Files.size(file);
                        return new Object[] {size, hashFile(file, size)};
                    })
                    .subscribeOn(Schedulers.boundedElastic())
                    .flatMap(meta -> {
                        long size = (Long) meta[0];
                        byte[] sha = (byte[]) meta[1];
                        return sessions.open(friend, SERVICE, StreamOptions.reliable())
                                .flatMap(s -> {
                                    stream = s;
                                    if (cancelled) {
                                        return s.close(CANCELLED_BY_SENDER);
                                    }
                                    String name = file.getFileName() == null ? "file" : file.getFileName().toString();
                                    s.send(Mono.just(FileMessages.offer(size, sha, name))).subscribe(null, e -> { });
                                    return FileMessages.messages(s.receive())
                                            .concatMap(m -> onMessage(s, m, size))
                                            .then(Mono.defer(() -> Mono.<Void>error(new FileTransferException(
                                                    FileTransferException.Reason.INTERRUPTED,
                                                    "the stream ended before the receiver's verdict (send again to resume)"))))
                                            .onErrorMap(e -> interrupted(e, CANCELLED_BY_RECEIVER));
                                });
                    })
                    .onErrorMap(e -> !(e instanceof FileTransferException) && !(e instanceof StreamException),
                            e -> interrupted(e, CANCELLED_BY_RECEIVER))
                    .onErrorResume(e -> e instanceof Done, e -> Mono.empty());
        }

        private Mono<Void> onMessage(CarrierStream s, FileMessages.Message m, long size) {
            switch (m.type()) {
                case FileMessages.ACCEPT -> {
                    if (m.number() > size) {
                        return Mono.error(new FileTransferException(FileTransferException.Reason.PROTOCOL,
                                "the receiver asked from offset " + m.number() + " of a " + size + "-byte file"));
                    }
                    resumedFrom = m.number();
                    bytes.set(m.number());
                    total = size;
                    return s.openChannel("data").flatMap(ch -> ch.send(read(m.number(), size)));
                }
                case FileMessages.REFUSE -> {
                    s.close("refused").subscribe(null, e -> { });
                    return Mono.error(new FileTransferException(FileTransferException.Reason.REFUSED,
                            friend + " refused the file: " + m.text()));
                }
                case FileMessages.RESULT -> {
                    s.close("done").subscribe(null, e -> { });
                    return m.ok() ? Mono.error(Done.INSTANCE)
                            : Mono.error(new FileTransferException(FileTransferException.Reason.CORRUPTED,
                                    friend + " could not verify the file: " + m.text()));
                }
                default -> {
                    return Mono.error(new FileTransferException(FileTransferException.Reason.PROTOCOL,
                            "unexpected message " + m.type() + " from the receiver"));
                }
            }
        }

        /** The file from {@code offset}, one chunk per request, read on bounded-elastic threads and gated by pause. */
        private Flux<ByteBuf> read(long offset, long size) {
            return Flux.using(() -> FileChannel.open(file, StandardOpenOption.READ),
                    ch -> Flux.<Long, Long>generate(() -> offset, (pos, sink) -> {
                                if (pos >= size) {
                                    sink.complete();
                                } else {
                                    sink.next(pos);
                                }
                                return pos + CHUNK;
                            })
                            .concatMap(pos -> gate.through(Mono.fromCallable(() -> {
                                int n = (int) Math.min(CHUNK, size - pos);
                                ByteBuffer b = ByteBuffer.allocate(n);
                                while (b.hasRemaining()) {
                                    if (ch.read(b, pos + b.position()) < 0) {
                                        throw new FileTransferException(FileTransferException.Reason.IO,
                                                file + " shrank while it was being sent");
                                    }
                                }
                                b.flip();
                                bytes.addAndGet(n);
                                return Unpooled.wrappedBuffer(b);
                            }).subscribeOn(Schedulers.boundedElastic())), 1),
                    StreamFileTransfers::closeLater)
                    .subscribeOn(Schedulers.boundedElastic())
                    .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
        }
    }

    /** Ends the sender's message loop successfully (the receiver verified the file). */
    static final class Done extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final Done INSTANCE = new Done();

        private Done() {
            super("done", null, false, false);
        }
    }

    // ================================================================== receiver

    private void answer(SessionRequest request) {
        request.accept()
                .flatMap(s -> FileMessages.messages(s.receive()).next()
                        .timeout(ANSWER_TIMEOUT)
                        .doOnNext(m -> {
                            if (m.type() != FileMessages.OFFER) {
                                s.close("expected an offer").subscribe(null, e -> { });
                                return;
                            }
                            Incoming in = new Incoming(s, m);
                            if (incoming.tryEmitNext(in).isFailure()) {
                                in.refuse("busy: too many offers waiting").subscribe(null, e -> { });
                            }
                        })
                        .doOnError(e -> s.close("bad offer: " + e.getMessage()).subscribe(null, x -> { })))
                .subscribe(null, e -> log.debug("file offer from {} failed: {}", request.peer(), e.toString()));
    }

    final class Incoming extends Transfer implements IncomingFile {
        final FileMessages.Message offer;
        final Sinks.Many<ByteBuf> answers = Sinks.many().unicast().onBackpressureBuffer();
        final AtomicBoolean answered = new AtomicBoolean();
        volatile Path target;
        volatile Mono<Void> answersSent;

        Incoming(CarrierStream s, FileMessages.Message offer) {
            this.stream = s;
            this.offer = offer;
            this.total = offer.number();
        }

        @Override
        public UserId peer() {
            return stream.peer();
        }

        @Override
        public String name() {
            return offer.text();
        }

        @Override
        public long size() {
            return offer.number();
        }

        @Override
        public byte[] sha256() {
            return offer.sha256().clone();
        }

        @Override
        String cancelReason() {
            return CANCELLED_BY_RECEIVER;
        }

        @Override
        public Flux<TransferProgress> accept(Path path) {
            Objects.requireNonNull(path, "path");
            if (!answered.compareAndSet(false, true)) {
                return Flux.error(new IllegalStateException("this offer was already accepted or refused"));
            }
            target = path.toAbsolutePath();
            return start();
        }

        @Override
        public Flux<TransferProgress> progress() {
            if (target == null) {
                return Flux.error(new IllegalStateException("accept(path) first: it returns the progress"));
            }
            return Flux.error(new IllegalStateException("the progress is the flux accept(path) returned"));
        }

        @Override
        public Mono<Void> refuse(String reason) {
            return Mono.defer(() -> {
                if (!answered.compareAndSet(false, true)) {
                    return Mono.error(new IllegalStateException("this offer was already accepted or refused"));
                }
                CarrierStream s = stream;
                return s.send(Mono.just(FileMessages.refuse(reason == null ? "" : reason)))
                        .timeout(Duration.ofSeconds(30))
                        .onErrorResume(e -> Mono.empty())
                        .then(s.close("refused"));
            });
        }

        Path part() {
            return target.resolveSibling(target.getFileName() + ".part");
        }

        Path meta() {
            return target.resolveSibling(target.getFileName() + ".part.meta");
        }

        /** Where to start: the length of a partial file of this same offer, else 0 (fresh part and meta written). */
        long prepare() throws IOException {
            String sha = HexFormat.of().formatHex(offer.sha256());
            Path part = part();
            Path meta = meta();
            if (Files.isRegularFile(part) && Files.isRegularFile(meta)) {
                Properties p = new Properties();
                try (var r = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
                    p.load(r);
                }
                long have = Files.size(part);
                if (sha.equals(p.getProperty("sha256")) && String.valueOf(size()).equals(p.getProperty("size"))
                        && have <= size()) {
                    return have;
                }
            }
            Files.createDirectories(target.getParent());
            Properties p = new Properties();
            p.setProperty("sha256", sha);
            p.setProperty("size", String.valueOf(size()));
            p.setProperty("name", name());
            p.setProperty("from", peer().toString());
            try (var w = Files.newBufferedWriter(meta, StandardCharsets.UTF_8)) {
                p.store(w, "reactive-carrier partial file");
            }
            Files.newByteChannel(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING).close();
            return 0;
        }

        @Override
        Mono<Void> run() {
            CarrierStream s = stream;
            return Mono.fromCallable(this::prepare)
                    .subscribeOn(Schedulers.boundedElastic())
                    .flatMap(offset -> {
                        resumedFrom = offset;
                        bytes.set(offset);
                        answersSent = s.send(answers.asFlux()).timeout(Duration.ofSeconds(30))
                                .onErrorResume(e -> Mono.empty()).cache();
                        answersSent.subscribe();
                        answers.tryEmitNext(FileMessages.accept(offset));
                        return s.channels().next()
                                .switchIfEmpty(Mono.error(() -> new FileTransferException(
                                        FileTransferException.Reason.INTERRUPTED, "the stream ended before any data")))
                                .flatMap(ch -> write(ch, offset))
                                .then(Mono.defer(this::verify))
                                .or(brokenOff(s));
                    })
                    .onErrorMap(e -> interrupted(e, CANCELLED_BY_SENDER))
                    .doOnError(e -> {
                        FileTransferException.Reason r = e instanceof FileTransferException f ? f.reason() : null;
                        if (r == FileTransferException.Reason.CANCELLED) {
                            deletePartial();
                        }
                        Mono<Void> said = r == FileTransferException.Reason.CORRUPTED && answersSent != null
                                ? answersSent : Mono.empty();
                        said.then(s.close(String.valueOf(e.getMessage()))).subscribe(null, x -> { });
                    });
        }

        /**
         * Fails when the stream closes before the transfer ended (this node's sessions closed, the
         * peer vanished), a little after the close so that the channel's own reason wins when it has one.
         */
        private Mono<Void> brokenOff(CarrierStream s) {
            return s.onClose().onErrorResume(e -> Mono.empty())
                    .then(Mono.delay(Duration.ofSeconds(2)))
                    .then(Mono.error(() -> new FileTransferException(FileTransferException.Reason.INTERRUPTED,
                            "the stream closed at " + bytes.get() + " of " + size()
                                    + " bytes (send again and accept to the same path to resume)")));
        }

        private Mono<Void> write(Channel ch, long offset) {
            return Flux.using(() -> {
                        FileChannel opened = FileChannel.open(part(), StandardOpenOption.WRITE);
                        opened.truncate(offset);
                        return opened;
                    },
                    fc -> {
                        AtomicLong pos = new AtomicLong(offset);
                        return ch.receive()
                                .publishOn(Schedulers.boundedElastic(), 64)
                                .concatMap(buf -> gate.through(Mono.fromCallable(() -> {
                                    try {
                                        int n = buf.readableBytes();
                                        if (pos.get() + n > size()) {
                                            throw new FileTransferException(FileTransferException.Reason.PROTOCOL,
                                                    "the sender sent more than the offered " + size() + " bytes");
                                        }
                                        long at = pos.get();
                                        while (buf.isReadable()) {
                                            at += buf.readBytes(fc, at, buf.readableBytes());
                                        }
                                        pos.set(at);
                                        bytes.set(at);
                                        return n;
                                    } finally {
                                        buf.release();
                                    }
                                })), 1)
                                .then(Mono.fromCallable(() -> {
                                    fc.force(false);
                                    return pos.get();
                                }));
                    },
                    StreamFileTransfers::closeLater)
                    .subscribeOn(Schedulers.boundedElastic())
                    .next()
                    .flatMap(end -> end == size() ? Mono.<Void>empty() : Mono.error(new FileTransferException(
                            FileTransferException.Reason.INTERRUPTED, "the transfer broke off at " + end + " of "
                                    + size() + " bytes (send again and accept to the same path to resume)")))
                    .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
        }

        private Mono<Void> verify() {
            return Mono.fromCallable(() -> {
                        byte[] got = hashFile(part(), size());
                        if (!MessageDigest.isEqual(got, offer.sha256())) {
                            deletePartial();
                            return false;
                        }
                        try {
                            Files.move(part(), target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        } catch (AtomicMoveNotSupportedException e) {
                            Files.move(part(), target, StandardCopyOption.REPLACE_EXISTING);
                        }
                        Files.deleteIfExists(meta());
                        return true;
                    })
                    .subscribeOn(Schedulers.boundedElastic())
                    .flatMap(ok -> {
                        answers.tryEmitNext(FileMessages.result(ok, ok ? "" : "SHA-256 mismatch"));
                        answers.tryEmitComplete();
                        if (!ok) {
                            return Mono.error(new FileTransferException(FileTransferException.Reason.CORRUPTED,
                                    "the received file's SHA-256 is not the offered one; the partial file was deleted"));
                        }
                        // done once the sender has the verdict too, so a receiver that stops right
                        // after does not break the sender's transfer; the file is in place either way
                        // (answersSent swallows its errors and times out after 30 s)
                        Mono<Void> said = answersSent;
                        return said == null ? Mono.<Void>empty() : said;
                    });
        }

        void deletePartial() {
            Path t = target;
            if (t == null) {
                return;
            }
            Schedulers.boundedElastic().schedule(() -> {
                try {
                    Files.deleteIfExists(part());
                    Files.deleteIfExists(meta());
                } catch (IOException e) {
                    log.warn("could not delete the partial file {}: {}", part(), e.toString());
                }
            });
        }

        @Override
        public void cancel() {
            if (answered.compareAndSet(false, true)) {
                stream.close(CANCELLED_BY_RECEIVER).subscribe(null, e -> { });
                return;
            }
            super.cancel();
            deletePartial();
        }

        @Override
        public String toString() {
            return "IncomingFile[" + name() + ", " + size() + " bytes from " + peer() + "]";
        }
    }
}
