package io.reactivecarrier.session;

/**
 * A change of a stream's state, from {@link CarrierStream#events()}.
 *
 * @param type what happened
 * @param transportInfo the stream's path at that moment
 * @param reason why the stream closed ({@link Type#CLOSED} only; {@code null} otherwise):
 *        {@link StreamException.Reason#CLOSED} when this side closed it
 * @param message the close reason's text (the peer's own words for {@code CLOSED_BY_PEER}), or a
 *        description of the change; never {@code null}
 *
 * <pre>{@code
 * stream.events().subscribe(e -> {
 *     switch (e.type()) {
 *         case OPENED, PATH_CHANGED -> log.info("now over a {} path", e.transportInfo().path());
 *         case CLOSED -> log.info("closed ({}): {}", e.reason(), e.message());
 *     }
 * });
 * }</pre>
 */
public record StreamEvent(Type type, TransportInfo transportInfo, StreamException.Reason reason, String message) {

    /** The kinds of stream events. */
    public enum Type {
        /** The stream is open (always the first event). */
        OPENED,
        /** The stream's packets now go to another address or over another kind of path. */
        PATH_CHANGED,
        /** The stream closed (always the last event). */
        CLOSED
    }
}
