package org.research4j.grpo.cli;

import org.research4j.search.cli.ChunkCommand;
import org.research4j.search.cli.IndexCommand;
import org.research4j.search.cli.QueryCommand;
import org.research4j.search.cli.RecallCommand;
import org.research4j.search.cli.SearchMain;
import org.research4j.search.cli.ServeCommand;
import org.research4j.search.cli.WorldCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code research}: the command line of research4j ({@code bin/research --help}). */
@Command(
    name = "research",
    mixinStandardHelpOptions = true,
    version = "research4j 0.1.0",
    description = "ReSearch (reasoning with search through RL) on the JVM.",
    subcommands = {
      DemoCommand.class,
      TrainCommand.class,
      EvalCommand.class,
      PassKCommand.class,
      ReportCommand.class,
      SeedsCommand.class,
      WorldCommand.class,
      ChunkCommand.class,
      IndexCommand.class,
      QueryCommand.class,
      RecallCommand.class,
      ServeCommand.class,
      ServeModelCommand.class,
      AskCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ResearchCli {

  public static void main(String[] args) {
    System.exit(SearchMain.execute(commandLine(), args));
  }

  /**
   * The command line as {@code bin/research} runs it: enum values read case-insensitively, and
   * {@code --help} listing each option's canonical name before its older aliases.
   */
  static CommandLine commandLine() {
    return new CommandLine(new ResearchCli())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setHelpFactory(new CanonicalFirstHelp());
  }
}
