/** Spring Boot auto-configuration of a {@code CarrierNode}. */
package io.reactivecarrier.spring;
