/**
 * Identities and errors shared by every layer: {@link io.reactivecarrier.core.UserId},
 * {@link io.reactivecarrier.core.Address} (user id, nospam, checksum, in Base58) and the
 * {@link io.reactivecarrier.core.CarrierException} hierarchy.
 */
package io.reactivecarrier.core;
