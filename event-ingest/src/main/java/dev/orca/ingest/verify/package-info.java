/**
 * Webhook signatures: HMAC-SHA256 over the raw bytes, compared in constant time against every
 * configured secret of a source; secrets come from the environment or mounted files.
 */
package dev.orca.ingest.verify;
