package org.research4j.search.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.research4j.search.index.Hit;
import org.research4j.search.index.PassageFormat;
import org.research4j.search.index.Searcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "query",
    mixinStandardHelpOptions = true,
    description = "Searches an index and prints the top passages of each query.")
public final class QueryCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(names = "--index", required = true, description = "Index directory.")
  Path index;

  @Option(
      names = "-k",
      defaultValue = "5",
      description = "Passages per query (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(
      names = "--format",
      defaultValue = "SEARCH_R1",
      description =
          "How to print the" + " passages: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  PassageFormat format;

  @Option(names = "--scores", description = "Print id and score of each hit before the passages.")
  boolean scores;

  @Parameters(arity = "1..*", paramLabel = "QUERY", description = "Queries.")
  List<String> queries;

  @Override
  public Integer call() throws Exception {
    try (Searcher searcher = Searcher.open(index)) {
      List<List<Hit>> results = searcher.search(queries, k);
      for (int i = 0; i < queries.size(); i++) {
        out().println("# " + queries.get(i));
        if (scores) {
          for (Hit h : results.get(i)) {
            out().printf("%s\t%.4f\t%s%n", h.id(), h.score(), h.title());
          }
        }
        out().println(format.format(results.get(i)));
      }
    }
    return 0;
  }
}
