/**
 * Streams between friends: reliable or unreliable, encrypted unless opened plain, with
 * channels, per-channel credit and congestion control, reached as {@code node.sessions()}
 * ({@link io.reactivecarrier.session.Sessions}). See {@code docs/streams.md}.
 */
package io.reactivecarrier.session;
