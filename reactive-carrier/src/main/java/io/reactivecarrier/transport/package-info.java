/**
 * Datagram transports (a real UDP socket on Reactor Netty, or an in-memory simulated
 * network), the packet router that dispatches datagrams by kind, and the encrypted RPC envelope.
 */
package io.reactivecarrier.transport;
