/**
 * Bearer API tokens for the management APIs: configured (plain or as SHA-256 hashes), compared in
 * constant time, refused with problem+json; health and metrics stay open.
 */
package dev.orca.common.security;
