package io.reactivecarrier.link;

import io.netty.buffer.ByteBuf;

/**
 * Receives the decrypted frames of one frame type ({@link LinkManager#handle}). Runs on the
 * transport's scheduler; the payload is borrowed: {@code retain()} what you keep.
 *
 * <pre>{@code
 * links.handle(0x60, (link, payload) ->
 *         log.info("{} says {}", link.peer(), payload.toString(StandardCharsets.UTF_8)));
 * }</pre>
 */
@FunctionalInterface
public interface LinkFrameHandler {

    void onFrame(Link link, ByteBuf payload);
}
