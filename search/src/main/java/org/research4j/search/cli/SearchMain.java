package org.research4j.search.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The search module on its own: {@code java -cp ... org.research4j.search.cli.SearchMain world
 * --out w}.
 */
@Command(
    name = "search",
    mixinStandardHelpOptions = true,
    description = "The search environment: generate a world, chunk documents, index, query, serve.",
    subcommands = {
      WorldCommand.class,
      ChunkCommand.class,
      IndexCommand.class,
      QueryCommand.class,
      RecallCommand.class,
      ServeCommand.class
    })
public final class SearchMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  /**
   * Runs a command line with errors reported as one sentence ("error: …"), not a stack trace: every
   * error this module raises already says what was wrong, where, and what to do.
   */
  public static int execute(CommandLine cl, String... args) {
    cl.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          line.getErr()
              .println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
          if (System.getenv("RESEARCH4J_DEBUG") != null) {
            e.printStackTrace(line.getErr());
          }
          return 1;
        });
    return cl.execute(args);
  }

  public static void main(String[] args) {
    System.exit(execute(new CommandLine(new SearchMain()), args));
  }
}
