package org.research4j.search.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.research4j.search.flashrag.CorpusWriter;
import org.research4j.search.flashrag.Passage;
import org.research4j.search.flashrag.QaExample;
import org.research4j.search.index.BuildListener;
import org.research4j.search.index.Index;
import org.research4j.search.index.IndexOptions;
import org.research4j.search.index.Searcher;

class RetrievalRecallTest {
  @TempDir Path tmp;

  private static QaExample qa(String id, String question, String type, String... hopPairs) {
    List<Map<String, String>> hops = new java.util.ArrayList<>();
    List<String> support = new java.util.ArrayList<>();
    for (int i = 0; i < hopPairs.length; i += 2) {
      hops.add(Map.of("question", hopPairs[i], "answer", "x", "passage", hopPairs[i + 1]));
      support.add(hopPairs[i + 1]);
    }
    return new QaExample(
        id,
        question,
        List.of("x"),
        Map.of("type", type, "supporting_passages", support, "hops", hops));
  }

  @Test
  void recallCountsTargetsWithinTheCutOffPerTypeAndInTotal() throws IOException {
    Path corpus = tmp.resolve("c.jsonl");
    try (CorpusWriter out = new CorpusWriter(corpus)) {
      // "zeta" occurs once in p0, twice in p1 and three times in p2, in passages of one length,
      // so the query "zeta" ranks p2, p1, p0.
      out.write(new Passage("p0", "zeta pad pad pad"));
      out.write(new Passage("p1", "zeta zeta pad pad"));
      out.write(new Passage("p2", "zeta zeta zeta pad"));
      out.write(new Passage("p3", "omega"));
    }
    Index.build(corpus, tmp.resolve("idx"), IndexOptions.defaults(), BuildListener.NONE);
    List<QaExample> qas =
        List.of(
            qa("a", "zeta", "one_hop", "zeta", "p2"), // rank 1
            qa("b", "zeta", "one_hop", "zeta", "p0"), // rank 3
            qa("c", "zeta", "two_hop", "omega", "p1", "omega", "p3"), // question finds p1 at rank 2
            qa("d", "nothing matches", "two_hop", "zeta", "p0"), // not found
            new QaExample("e", "no support", List.of("x"), Map.of()));
    try (Searcher s = Searcher.open(tmp.resolve("idx"))) {
      RetrievalRecall.Report r = RetrievalRecall.measure(s, qas, new int[] {1, 2, 3});
      List<RetrievalRecall.Row> q = r.questionToFirstHop();
      assertEquals(
          List.of("one_hop", "two_hop", "all"),
          q.stream().map(RetrievalRecall.Row::group).toList());
      assertArrayEquals(new double[] {0.5, 0.5, 1.0}, q.get(0).recall(), 1e-12);
      assertArrayEquals(new double[] {0.0, 0.5, 0.5}, q.get(1).recall(), 1e-12);
      assertArrayEquals(new double[] {0.25, 0.5, 0.75}, q.get(2).recall(), 1e-12);
      assertEquals(4, q.get(2).queries(), "the question without supporting passages is left out");
      // Sub-questions: zeta→p2 (1), zeta→p0 (3), omega→p1 (miss), omega→p3 (1), zeta→p0 (3).
      RetrievalRecall.Row all = r.subQuestionToHop().getLast();
      assertEquals(5, all.queries());
      assertArrayEquals(new double[] {0.4, 0.4, 0.8}, all.recall(), 1e-12);
      String table = RetrievalRecall.markdown(r.ks(), q);
      assertEquals("| all | 4 | 0.250 | 0.500 | 0.750 |", table.strip().lines().toList().getLast());
    }
  }
}
