/**
 * What each provider sends: verifying GitHub, Linear and Slack webhooks and reading from them the
 * delivery id, the event and where it belongs (the CloudEvent attributes and the record key).
 */
package dev.orca.ingest.provider;
