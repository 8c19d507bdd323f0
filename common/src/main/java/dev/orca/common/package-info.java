/** What every Orca service shares. */
package dev.orca.common;
