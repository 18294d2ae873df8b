/**
 * Identities and errors shared by every layer: {@link io.reactivecarrier.core.UserId},
 * {@link io.reactivecarrier.core.Address} (user id, nospam, checksum, in Base58) and the
 * {@link io.reactivecarrier.core.CarrierException} hierarchy.
 *
 * <pre>{@code
 * Address address = Address.parse(text);   // InvalidAddressException on a typo
 * UserId alice = address.userId();
 * log.info("{} (nospam {})", alice.shortString(), address.nospam());
 * }</pre>
 */
package io.reactivecarrier.core;
