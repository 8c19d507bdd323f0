/**
 * The gateway's own upstream, {@code builtin}: echo, sleep, json_transform (jq) and http_request
 * (allow-listed hosts only), served through the same relay, audit and metrics as any upstream.
 */
package dev.orca.gateway.builtin;
