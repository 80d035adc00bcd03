package org.research4j.grpo.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.research4j.grpo.reward.RetrievedAnswers;
import org.research4j.search.flashrag.QaExample;

/**
 * Where a search agent fails, hop by hop. A question of the generated world records its hops
 * ({@code metadata.hops = [{question, answer, passage}, …]}); for each hop this says whether a
 * query named the hop's entity verbatim, whether the hop's gold passage came back, whether the
 * hop's answer was anywhere in the retrieved text, and whether the model, after the result that
 * held it, wrote the answer exactly (in its next think or its answer). The four flags split a wrong
 * answer into its causes: copying the entity into the query, retrieval, or reading.
 *
 * <p>A hop's entities are the strings among {@code metadata.entities} and the earlier hops' answers
 * that its sub-question contains ("Where was Mybous Flopom born?" after a hop answered "Mybous
 * Flopom"); a query names them when it contains every one, case and spelling exact.
 */
public final class HopDiagnostics {
  private static final Pattern SEARCH =
      Pattern.compile("<search>(.*?)</search>\\s*<result>(.*?)</result>", Pattern.DOTALL);

  private HopDiagnostics() {}

  /**
   * One hop's verdicts. {@code goldRetrieved} is empty when the passage text is not known to the
   * caller; {@code read} is meaningful only when {@code answerRetrieved}.
   */
  public record Hop(
      int position,
      List<String> entities,
      String answer,
      boolean queried,
      Optional<Boolean> goldRetrieved,
      boolean answerRetrieved,
      boolean read) {}

  /**
   * A search call as it appears in a response: the query, its result, what the model wrote next.
   */
  record Call(String query, String result, String after) {}

  /**
   * The hops of {@code q} checked against {@code response} (the text after the prompt, tool results
   * included); {@code passages} maps a passage id to its text, or returns null when unknown. Empty
   * when the question records no hops; a computation hop (the code tool's) is left out, so the
   * rates are over search hops only.
   */
  public static List<Hop> of(QaExample q, String response, Function<String, String> passages) {
    List<QaExample.Hop> hops = q.hops();
    if (hops.isEmpty()) return List.of();
    List<Call> calls = calls(response);
    List<String> known = new ArrayList<>(q.entities());
    List<Hop> out = new ArrayList<>(hops.size());
    for (int i = 0; i < hops.size(); i++) {
      QaExample.Hop hop = hops.get(i);
      String sub = hop.question();
      String answer = hop.answer();
      if (hop.isComputation()) {
        // a computation hop is the code tool's, not a search: no query, passage or result to check
        known.add(answer);
        continue;
      }
      List<String> entities = known.stream().filter(sub::contains).distinct().toList();
      boolean queried =
          !entities.isEmpty()
              && calls.stream().anyMatch(c -> entities.stream().allMatch(e -> holds(c.query(), e)));
      Optional<Boolean> gold = Optional.empty();
      String passageText = hop.passage() == null ? null : passages.apply(hop.passage());
      if (passageText != null) {
        String body = passageText.strip();
        gold = Optional.of(calls.stream().anyMatch(c -> c.result().contains(body)));
      }
      boolean answerRetrieved = false;
      boolean read = false;
      for (Call c : calls) {
        if (holds(c.result(), answer)) {
          answerRetrieved = true;
          read |= holds(c.after(), answer);
        }
      }
      out.add(new Hop(i + 1, entities, answer, queried, gold, answerRetrieved, read));
      known.add(answer);
    }
    return out;
  }

  /** The hop rates of a set of evaluated questions. */
  public static Summary summary(
      List<Evaluation.Outcome> outcomes, Function<String, String> passages) {
    List<List<Hop>> all = new ArrayList<>(outcomes.size());
    for (Evaluation.Outcome o : outcomes) all.add(of(o.question(), o.rollout().text(), passages));
    return Summary.of(all);
  }

  /**
   * Every {@code <search>q</search><result>r</result>} of a response, with the text up to the next
   * search.
   */
  static List<Call> calls(String response) {
    List<Call> out = new ArrayList<>();
    Matcher m = SEARCH.matcher(response);
    List<int[]> spans = new ArrayList<>();
    while (m.find())
      spans.add(new int[] {m.start(), m.end(), m.start(1), m.end(1), m.start(2), m.end(2)});
    for (int i = 0; i < spans.size(); i++) {
      int[] s = spans.get(i);
      int next = i + 1 < spans.size() ? spans.get(i + 1)[0] : response.length();
      out.add(
          new Call(
              response.substring(s[2], s[3]).strip(),
              response.substring(s[4], s[5]),
              response.substring(s[1], next)));
    }
    return out;
  }

  /**
   * Whether {@code text} holds {@code word} as a whole word or phrase: "Mainstow" does not hold
   * "Mainsto", "born in Mainsto." does.
   */
  static boolean holds(String text, String word) {
    return RetrievedAnswers.holds(text, word);
  }

  /**
   * Rates over many hops: {@code query_entity} (queries naming the hop's entity), {@code
   * gold_retrieved}, {@code answer_retrieved}, and {@code read_exact} (of the hops whose answer was
   * retrieved, those the model wrote out exactly), each overall and per hop position ({@code
   * hop2_read_exact}), with the hop counts. A rate with nothing to count is NaN.
   */
  public record Summary(Map<String, Double> rates) {

    public static Summary of(List<List<Hop>> perQuestion) {
      Map<String, double[]> acc = new LinkedHashMap<>();
      for (List<Hop> hops : perQuestion) {
        for (Hop h : hops) {
          for (String prefix : List.of("", "hop" + h.position() + "_")) {
            count(acc, prefix + "query_entity", h.queried());
            h.goldRetrieved().ifPresent(g -> count(acc, prefix + "gold_retrieved", g));
            count(acc, prefix + "answer_retrieved", h.answerRetrieved());
            if (h.answerRetrieved()) count(acc, prefix + "read_exact", h.read());
          }
        }
      }
      Map<String, Double> rates = new LinkedHashMap<>();
      int hops = perQuestion.stream().mapToInt(List::size).sum();
      rates.put("hops", (double) hops);
      for (String key :
          List.of("query_entity", "gold_retrieved", "answer_retrieved", "read_exact")) {
        rates.put(key, rate(acc.get(key)));
      }
      acc.keySet().stream()
          .filter(k -> k.startsWith("hop"))
          .sorted()
          .forEach(k -> rates.put(k, rate(acc.get(k))));
      return new Summary(Collections.unmodifiableMap(rates));
    }

    public double get(String key) {
      return rates.getOrDefault(key, Double.NaN);
    }

    private static void count(Map<String, double[]> acc, String key, boolean yes) {
      double[] c = acc.computeIfAbsent(key, k -> new double[2]);
      c[0] += yes ? 1 : 0;
      c[1]++;
    }

    private static double rate(double[] c) {
      return c == null || c[1] == 0 ? Double.NaN : c[0] / c[1];
    }
  }
}
