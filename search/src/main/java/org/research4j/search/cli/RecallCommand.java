package org.research4j.search.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.research4j.search.eval.RetrievalRecall;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.flashrag.QaFormat;
import org.research4j.search.index.Searcher;
import org.research4j.search.index.SearcherOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "recall",
    mixinStandardHelpOptions = true,
    description = {
      "Measures retrieval recall@k on a FlashRAG QA file whose metadata names supporting"
          + " passages (as the generated world's do), by question type, as Markdown tables."
    })
public final class RecallCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(names = "--index", required = true, description = "Index directory.")
  Path index;

  @Option(names = "--qa", required = true, description = "QA file, e.g. WORLD/test.jsonl.")
  Path qa;

  @Option(
      names = "-k",
      split = ",",
      defaultValue = "1,3,5",
      description = "Cut-offs" + " (default: ${DEFAULT-VALUE}).")
  int[] ks;

  @Override
  public Integer call() throws Exception {
    List<QaExample> examples = QaFormat.readAll(qa, OnMalformed.FAIL);
    int[] sorted = ks.clone();
    Arrays.sort(sorted);
    try (Searcher searcher = Searcher.open(index, SearcherOptions.defaults().withCacheEntries(0))) {
      RetrievalRecall.Report r = RetrievalRecall.measure(searcher, examples, sorted);
      out().println("question as query, first hop's passage as target (" + qa + "):\n");
      out().println(RetrievalRecall.markdown(r.ks(), r.questionToFirstHop()));
      if (!r.subQuestionToHop().isEmpty()) {
        out().println("each hop's sub-question as query, that hop's passage as target:\n");
        out().println(RetrievalRecall.markdown(r.ks(), r.subQuestionToHop()));
      }
    }
    return 0;
  }
}
