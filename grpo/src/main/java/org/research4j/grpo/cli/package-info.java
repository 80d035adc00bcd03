/** The {@code research} command line: one entry point, one subcommand per job. */
package org.research4j.grpo.cli;
