/**
 * The assembly and lifecycle of a meshdns replica: Main's commands, MeshdnsServer wiring the packages
 * below it together, Shutdown, and the mesh's own metrics and event log. Nothing below imports it.
 */
package io.meshdns.server;
