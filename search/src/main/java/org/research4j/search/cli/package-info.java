/**
 * The search module's command line: picocli commands {@code world}, {@code index}, {@code serve},
 * {@code chunk}, {@code query} and {@code recall}, grouped under {@link
 * org.research4j.search.cli.SearchMain} so the module works on its own, and public with no-argument
 * constructors so the project's {@code research} command can mount them as its own subcommands.
 * Long runs draw a progress bar on standard error.
 */
package org.research4j.search.cli;
