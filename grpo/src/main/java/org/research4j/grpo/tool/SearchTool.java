package org.research4j.grpo.tool;

import java.util.ArrayList;
import java.util.List;
import org.research4j.search.flashrag.Passage;
import org.research4j.search.index.Hit;
import org.research4j.search.index.Searcher;

/**
 * The ReSearch search tool: {@code <search>query</search>} → the top-k passages from the BM25 index
 * in {@code <result>…</result>}, each as its quoted title line and text, as the corpus holds them
 * (k = 5 in the paper).
 */
public final class SearchTool implements Tool {
  /** What the search tool lets the model do, in the instructed prompt's first sentence. */
  public static final String ACTIVITY = "searching";

  /** How the instructed prompt tells the model to search: the paper's words. */
  public static final String INSTRUCTION =
      "To search, write a query inside <search> </search>;"
          + " the results will appear inside <result> </result>. Search as often as you need.";

  private final Searcher searcher;
  private final int topK;

  public SearchTool(Searcher searcher, int topK) {
    if (topK < 1) throw new IllegalArgumentException("search top-k must be >= 1, got " + topK);
    this.searcher = searcher;
    this.topK = topK;
  }

  @Override
  public String callOpen() {
    return "<search>";
  }

  @Override
  public String callClose() {
    return "</search>";
  }

  @Override
  public String resultOpen() {
    return "<result>";
  }

  @Override
  public String resultClose() {
    return "</result>";
  }

  @Override
  public String activity() {
    return ACTIVITY;
  }

  @Override
  public String instruction() {
    return INSTRUCTION;
  }

  @Override
  public List<String> call(List<String> queries) {
    List<String> out = new ArrayList<>(queries.size());
    for (List<Hit> h : hits(queries)) out.add(format(h));
    return out;
  }

  /**
   * The top-k passages of each query, with their ids, for callers that choose which passages to
   * show (IRCoT shows each passage once).
   */
  public List<List<Hit>> hits(List<String> queries) {
    List<String> cleaned = new ArrayList<>(queries.size());
    for (String q : queries) cleaned.add(q.isBlank() ? "" : q.strip());
    return searcher.search(cleaned, topK);
  }

  @Override
  public String passage(String id) {
    return searcher.passage(id).map(Passage::contents).orElse(null);
  }

  /** Passages as the model reads them: one per paragraph, title line first. */
  public static String format(List<Hit> hits) {
    StringBuilder b = new StringBuilder("\n");
    for (Hit h : hits) b.append(h.contents().strip()).append('\n');
    return b.toString();
  }
}
