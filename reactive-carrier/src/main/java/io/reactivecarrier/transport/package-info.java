/**
 * Datagram transports (a real UDP socket on Reactor Netty, or an in-memory simulated
 * network), the packet router that dispatches datagrams by kind, and the encrypted RPC envelope.
 *
 * <pre>{@code
 * UdpTransport transport = UdpTransport.bind(UdpTransportOptions.create().port(0)).block();
 * PacketRouter router = PacketRouter.create(registry);
 * transport.receive(router);
 * RpcEndpoint rpc = RpcEndpoint.create(transport, router, X25519KeyPair.generate(), RpcOptions.create());
 * }</pre>
 */
package io.reactivecarrier.transport;
