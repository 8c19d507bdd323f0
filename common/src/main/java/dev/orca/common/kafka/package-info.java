/**
 * Kafka helpers the services share (kafka-clients is an optional dependency of common: only services
 * that use Kafka bring it).
 */
package dev.orca.common.kafka;
