/**
 * Streams between friends: reliable or unreliable, encrypted unless opened plain, with
 * channels, per-channel credit and congestion control, reached as {@code node.sessions()}
 * ({@link io.reactivecarrier.session.Sessions}). See {@code docs/streams.md}.
 *
 * <pre>{@code
 * node.sessions().open(friend, StreamOptions.reliable())
 *         .flatMap(stream -> stream.sendBytes(Flux.just(bytes)).then(stream.close()))
 *         .subscribe();
 * node.sessions().requests().flatMap(SessionRequest::accept).flatMap(CarrierStream::receive)
 *         .subscribe(buf -> { log.info("{} bytes", buf.readableBytes()); buf.release(); });
 * }</pre>
 */
package io.reactivecarrier.session;
