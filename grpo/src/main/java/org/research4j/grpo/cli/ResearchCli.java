package org.research4j.grpo.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code research}: the command line of research4j ({@code bin/research --help}). */
@Command(
    name = "research",
    mixinStandardHelpOptions = true,
    version = "research4j 0.1.0",
    description = "ReSearch (reasoning with search through RL) on the JVM.",
    subcommands = {DemoCommand.class, CommandLine.HelpCommand.class})
public final class ResearchCli {

  public static void main(String[] args) {
    System.exit(new CommandLine(new ResearchCli()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }
}
