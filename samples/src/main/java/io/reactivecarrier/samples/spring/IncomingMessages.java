package io.reactivecarrier.samples.spring;

import io.reactivecarrier.CarrierNode;
import io.reactivecarrier.message.Message;
import io.reactivecarrier.spring.CarrierNodeLifecycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * The one subscriber of {@code node.messages().incoming()} (the node allows one at a time),
 * shared by every HTTP client: it keeps the last {@value #RECENT} messages and multicasts new ones.
 * It starts right after the node, so messages that arrive before the first client are kept too.
 */
@Component
public class IncomingMessages implements SmartLifecycle {

    /** Messages a new subscriber sees first. */
    public static final int RECENT = 100;

    private static final Logger log = LoggerFactory.getLogger(IncomingMessages.class);

    private final CarrierNode node;
    private final Sinks.Many<Message> recent = Sinks.many().replay().limit(RECENT);
    private volatile Disposable subscription;

    public IncomingMessages(CarrierNode node) {
        this.node = node;
    }

    /** The last {@value #RECENT} messages, then new ones as they arrive (hot; never completes while running). */
    public Flux<Message> messages() {
        return recent.asFlux();
    }

    @Override
    public void start() {
        if (!node.isRunning()) {
            // carrier.auto-startup=false: the application starts the node itself, later
            log.warn("the Carrier node is not running: /messages/events shows no messages");
            return;
        }
        subscription = node.messages().incoming().subscribe(
                m -> {
                    // one emitter (incoming() is serial); a replay sink never overflows
                    Sinks.EmitResult r = recent.tryEmitNext(m);
                    if (r.isFailure()) {
                        log.warn("message {} not shown to HTTP clients: {}", m.id(), r);
                    }
                },
                e -> log.warn("incoming messages stopped: {}", e.toString()));
    }

    @Override
    public void stop() {
        Disposable s = subscription;
        if (s != null) {
            s.dispose();
        }
        subscription = null;
    }

    @Override
    public boolean isRunning() {
        return subscription != null;
    }

    /** Right after the node starts, and stopped before it. */
    @Override
    public int getPhase() {
        return CarrierNodeLifecycle.PHASE + 1;
    }
}
