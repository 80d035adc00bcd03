package org.research4j.grpo.sft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.tool.Tool;
import org.research4j.search.flashrag.QaExample;
import org.research4j.transformer.tokenizer.Tokenizer;

/**
 * Warm-start traces in the ReSearch format, written from questions whose metadata records their
 * hops (the generated world's do: {@code metadata.hops = [{question, answer, passage}, …]}). For
 * each hop the trace thinks the sub-question, searches it with the real tool, reads the real
 * result, and thinks the hop's answer; then it answers in {@code \boxed{}}. The prompt and the
 * tool's result (tags included) are not trained, exactly as in a rollout, and each part is
 * tokenised on its own, as a rollout's generated and inserted parts are.
 *
 * <p>Answers are written after a space ({@code <think> Varemo</think>}, {@code \boxed{ Varemo}}):
 * byte-level BPE tokenises a word with its leading space, so in a passage the name is " Varemo";
 * written the same way, reading the answer out of the result is a copy of the same tokens, which a
 * small model learns far more easily than re-spelling the name in pieces without the space.
 */
public final class SearchTraces {
  private SearchTraces() {}

  /** One trace per question that has hops; questions without them are skipped. */
  public static List<SftExample> build(
      List<QaExample> questions, Tool tool, PromptTemplate template, Tokenizer tok, int endOfTurn) {
    List<String> queries = new ArrayList<>();
    List<List<Map<?, ?>>> hops = new ArrayList<>();
    for (QaExample q : questions) {
      List<Map<?, ?>> h = hopsOf(q);
      hops.add(h);
      for (Map<?, ?> hop : h) queries.add(String.valueOf(hop.get("question")));
    }
    List<String> results = tool.call(queries);
    List<SftExample> out = new ArrayList<>(questions.size());
    int r = 0;
    for (int i = 0; i < questions.size(); i++) {
      QaExample q = questions.get(i);
      if (hops.get(i).isEmpty() || q.goldenAnswers().isEmpty()) continue;
      Trace t = new Trace(tok);
      t.add(template.render(q.question()), false);
      for (Map<?, ?> hop : hops.get(i)) {
        String sub = String.valueOf(hop.get("question"));
        t.add("<think>" + sub + "</think>" + tool.callOpen() + sub + tool.callClose(), true);
        t.add(tool.resultOpen(), false);
        t.addUntrusted(results.get(r++));
        t.add(tool.resultClose(), false);
        t.add("<think> " + hop.get("answer") + "</think>", true);
      }
      t.add("<answer>\\boxed{ " + q.goldenAnswers().getFirst() + "}</answer>", true);
      t.addToken(endOfTurn);
      out.add(t.example());
    }
    return out;
  }

  private static List<Map<?, ?>> hopsOf(QaExample q) {
    List<Map<?, ?>> out = new ArrayList<>();
    if (q.metadata().get("hops") instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Map<?, ?> m && m.get("question") != null && m.get("answer") != null) {
          out.add(m);
        }
      }
    }
    return out;
  }

  /** Tokens and their trained flags, built part by part. */
  private static final class Trace {
    private final Tokenizer tok;
    private final List<Integer> ids = new ArrayList<>();
    private final List<Boolean> trained = new ArrayList<>();

    Trace(Tokenizer tok) {
      this.tok = tok;
    }

    void add(String text, boolean train) {
      for (int id : tok.encode(text)) addToken(id, train);
    }

    /** Tool output: special-token text in it stays text. */
    void addUntrusted(String text) {
      for (int id : tok.encode(text, true)) addToken(id, false);
    }

    void addToken(int id) {
      addToken(id, true);
    }

    private void addToken(int id, boolean train) {
      ids.add(id);
      trained.add(train);
    }

    SftExample example() {
      int[] a = new int[ids.size()];
      boolean[] m = new boolean[ids.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = ids.get(i);
        m[i] = trained.get(i);
      }
      return new SftExample(a, m);
    }
  }
}
