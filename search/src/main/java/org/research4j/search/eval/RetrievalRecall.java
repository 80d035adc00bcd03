package org.research4j.search.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.index.Hit;
import org.research4j.search.index.Searcher;

/**
 * Measures recall@k: the fraction of queries whose target passage is among the top k hits.
 *
 * <p>Two measurements, each broken down by question type and in total:
 *
 * <ul>
 *   <li>question → first hop: the question text is the query, the first hop's passage the target
 *       (for one-hop questions, their only passage). Questions with no supporting passages are left
 *       out.
 *   <li>sub-question → hop: each hop's own question ({@code metadata.hops[i].question}) is the
 *       query and its passage the target; only for data sets that record hops.
 * </ul>
 */
public final class RetrievalRecall {

  /** Recall at each k for one group of queries. */
  public record Row(String group, int queries, double[] recall) {}

  /** Both measurements; {@code ks} in ascending order. */
  public record Report(int[] ks, List<Row> questionToFirstHop, List<Row> subQuestionToHop) {}

  private RetrievalRecall() {}

  public static Report measure(Searcher searcher, List<QaExample> qas, int[] ks) {
    int maxK = 0;
    for (int k : ks) {
      if (k < 1) {
        throw new IllegalArgumentException("k must be at least 1, got " + k);
      }
      maxK = Math.max(maxK, k);
    }
    List<String> queries = new ArrayList<>();
    List<String> targets = new ArrayList<>();
    List<String> groups = new ArrayList<>();
    List<String> hopQueries = new ArrayList<>();
    List<String> hopTargets = new ArrayList<>();
    List<String> hopGroups = new ArrayList<>();
    for (QaExample qa : qas) {
      List<String> support = qa.supportingPassages();
      if (support.isEmpty()) {
        continue;
      }
      String type = qa.type().isEmpty() ? "untyped" : qa.type();
      List<Map<?, ?>> hops = hops(qa);
      queries.add(qa.question());
      targets.add(
          hops.isEmpty() ? support.getFirst() : String.valueOf(hops.getFirst().get("passage")));
      groups.add(type);
      for (Map<?, ?> hop : hops) {
        if (hop.get("question") instanceof String q && hop.get("passage") != null) {
          hopQueries.add(q);
          hopTargets.add(String.valueOf(hop.get("passage")));
          hopGroups.add(type);
        }
      }
    }
    return new Report(
        ks.clone(),
        rows(searcher.search(queries, maxK), targets, groups, ks),
        rows(searcher.search(hopQueries, maxK), hopTargets, hopGroups, ks));
  }

  private static List<Map<?, ?>> hops(QaExample qa) {
    List<Map<?, ?>> out = new ArrayList<>();
    if (qa.metadata().get("hops") instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Map<?, ?> m) {
          out.add(m);
        }
      }
    }
    return out;
  }

  private static List<Row> rows(
      List<List<Hit>> results, List<String> targets, List<String> groups, int[] ks) {
    Map<String, long[]> found = new LinkedHashMap<>();
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (int i = 0; i < results.size(); i++) {
      int rank = rank(results.get(i), targets.get(i));
      for (String g : List.of(groups.get(i), "all")) {
        long[] f = found.computeIfAbsent(g, x -> new long[ks.length]);
        counts.merge(g, 1, Integer::sum);
        for (int j = 0; j < ks.length; j++) {
          if (rank >= 0 && rank < ks[j]) {
            f[j]++;
          }
        }
      }
    }
    List<Row> rows = new ArrayList<>();
    for (Map.Entry<String, long[]> e : found.entrySet()) {
      if (e.getKey().equals("all")) {
        continue;
      }
      rows.add(row(e.getKey(), counts.get(e.getKey()), e.getValue()));
    }
    rows.sort((a, b) -> a.group().compareTo(b.group()));
    if (found.containsKey("all")) {
      rows.add(row("all", counts.get("all"), found.get("all")));
    }
    return rows;
  }

  private static Row row(String group, int n, long[] found) {
    double[] recall = new double[found.length];
    for (int j = 0; j < found.length; j++) {
      recall[j] = found[j] / (double) n;
    }
    return new Row(group, n, recall);
  }

  private static int rank(List<Hit> hits, String target) {
    for (int r = 0; r < hits.size(); r++) {
      if (hits.get(r).id().equals(target)) {
        return r;
      }
    }
    return -1;
  }

  /** A Markdown table of one measurement. */
  public static String markdown(int[] ks, List<Row> rows) {
    StringBuilder sb = new StringBuilder("| type | queries |");
    for (int k : ks) {
      sb.append(" recall@").append(k).append(" |");
    }
    sb.append("\n|---|---:|");
    for (int k : ks) {
      sb.append("---:|");
    }
    sb.append('\n');
    for (Row r : rows) {
      sb.append("| ").append(r.group()).append(" | ").append(r.queries()).append(" |");
      for (double v : r.recall()) {
        sb.append(String.format(Locale.ROOT, " %.3f |", v));
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
