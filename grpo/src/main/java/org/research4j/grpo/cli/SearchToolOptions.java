package org.research4j.grpo.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.research4j.grpo.tool.RemoteSearchTool;
import org.research4j.grpo.tool.SearchTool;
import org.research4j.grpo.tool.Tool;
import org.research4j.search.index.Searcher;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The search tool of a command that runs the agent: a local index ({@code --index}) or a retrieval
 * server ({@code --search-url}), at most one of them. Holds the searcher it opened until closed.
 */
final class SearchToolOptions implements AutoCloseable {
  private final Searcher searcher;
  private final Tool tool;

  private SearchToolOptions(Searcher searcher, Tool tool) {
    this.searcher = searcher;
    this.tool = tool;
  }

  /** Null tool when neither is given. */
  static SearchToolOptions open(CommandLine cl, Path index, String url, int topK)
      throws IOException {
    if (index != null && url != null) {
      throw new ParameterException(cl, "give --index or --search-url, not both");
    }
    if (topK < 1) throw new ParameterException(cl, "--topk must be >= 1, got " + topK);
    if (index != null) {
      if (!Files.isDirectory(index)) {
        throw new ParameterException(
            cl, "--index: no directory " + index + " (build one with `research index`)");
      }
      Searcher s = Searcher.open(index);
      return new SearchToolOptions(s, new SearchTool(s, topK));
    }
    if (url != null) {
      try {
        return new SearchToolOptions(null, new RemoteSearchTool(url, topK, Duration.ofSeconds(30)));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(cl, "--search-url: " + e.getMessage());
      }
    }
    return new SearchToolOptions(null, null);
  }

  Tool tool() {
    return tool;
  }

  @Override
  public void close() throws IOException {
    if (searcher != null) searcher.close();
  }
}
