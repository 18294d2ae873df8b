package io.reactivecarrier.session;

import io.reactivecarrier.core.UserId;
import reactor.core.publisher.Mono;

/**
 * A friend asks for a stream: accept it or refuse it.
 *
 * <pre>{@code
 * node.sessions().requests()
 *         .flatMap(r -> r.options().isEncrypted() ? r.accept() : r.refuse("encrypted only").then(Mono.empty()))
 *         .subscribe(stream -> handle(stream));
 * }</pre>
 */
public interface SessionRequest {

    /** The friend who asks. */
    UserId peer();

    /** The options the friend asked for (reliable or not, encrypted or not, windows). */
    StreamOptions options();

    /** The service the friend asked for ({@code ""} for a plain stream from {@link Sessions#open(UserId, StreamOptions)}). */
    default String service() {
        return "";
    }

    /** Accepts: completes with the stream. Only the first answer counts. */
    Mono<CarrierStream> accept();

    /** Refuses with a reason the friend sees. */
    Mono<Void> refuse(String reason);
}
