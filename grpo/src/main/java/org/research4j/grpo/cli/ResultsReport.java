package org.research4j.grpo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.research4j.grpo.eval.Evaluation;
import org.research4j.grpo.eval.HopDiagnostics;
import org.research4j.grpo.eval.PassAtK;
import org.research4j.grpo.eval.Scoring;
import org.research4j.grpo.judge.JudgedScores;
import org.research4j.grpo.judge.LlmJudge;
import org.research4j.grpo.report.DemoSummary;
import org.research4j.grpo.reward.FormatRule;
import org.research4j.transformer.checkpoint.AtomicFiles;

/**
 * How {@code demo} and {@code eval} show and keep evaluation results: the tables they print (the
 * methods' scores, per question type, where the hops fail, LLM-as-judge, pass@k) and the JSONL of
 * per-question results and summaries. One formatter for both commands, so that the same numbers
 * look the same wherever they are printed; the first column is as wide as its longest name. Every
 * table is flushed when written.
 */
final class ResultsReport {
  /** The narrowest first column of {@code eval}'s tables. */
  static final int EVAL_NAME_WIDTH = 12;

  /** The narrowest first column of {@code demo}'s tables (its method names are longer). */
  static final int DEMO_NAME_WIDTH = 22;

  private ResultsReport() {}

  /** The width of a first column holding {@code names}: their longest, at least {@code min}. */
  static int width(Collection<String> names, int min) {
    int w = min;
    for (String n : names) w = Math.max(w, n.length());
    return w;
  }

  /**
   * Rows of n, EM, F1, format rate, searches and tokens, one per name ({@code first} heads the name
   * column: a method or a question type); the demo's comparison.
   */
  static void scores(PrintWriter w, String first, Map<String, Evaluation.Summary> rows) {
    scores(w, first, rows, List.of());
  }

  /**
   * As {@link #scores(PrintWriter, String, Map)}; with {@code tools} (the demo's {@code --tools
   * search,code}) the calls column counts every tool's calls and a column per tool follows it
   * ({@link DemoSummary#calls}: a baseline's retrievals are searches). Without, the table is the
   * paper's.
   */
  static void scores(
      PrintWriter w, String first, Map<String, Evaluation.Summary> rows, List<String> tools) {
    int width = width(rows.keySet(), DEMO_NAME_WIDTH);
    StringBuilder toolHeads = new StringBuilder();
    for (String t : tools) toolHeads.append(String.format(" %7s", t));
    w.printf(
        "%-" + width + "s %5s %6s %6s %9s %9s%s %8s%n",
        first,
        "n",
        "EM",
        "F1",
        "format",
        tools.isEmpty() ? "searches" : "calls",
        toolHeads,
        "tokens");
    rows.forEach(
        (name, s) -> {
          StringBuilder perTool = new StringBuilder();
          DemoSummary.calls(s, tools)
              .values()
              .forEach(c -> perTool.append(String.format(" %7.2f", c)));
          w.printf(
              "%-" + width + "s %5d %6.3f %6.3f %8.0f%% %9.2f%s %8.0f%n",
              name,
              s.count(),
              s.exactMatch(),
              s.f1(),
              100 * s.wellFormed(),
              s.searches(),
              perTool,
              s.responseTokens());
        });
    w.flush();
  }

  /** {@link #scores} of one method's outcomes per question type, then over all of them. */
  static void scoresByType(PrintWriter w, List<Evaluation.Outcome> outcomes) {
    scoresByType(w, outcomes, List.of());
  }

  /** As {@link #scoresByType(PrintWriter, List)}, with a column per tool when {@code tools}. */
  static void scoresByType(PrintWriter w, List<Evaluation.Outcome> outcomes, List<String> tools) {
    Map<String, Evaluation.Summary> rows = new LinkedHashMap<>(Evaluation.byType(outcomes));
    rows.put("all", Evaluation.summary(outcomes));
    scores(w, "type", rows, tools);
  }

  /**
   * {@code eval}'s table: per method, a row per question type and one for all, of n, EM, F1, LJ
   * (when {@code judged} holds the method), format rate, retrievals, response and generated tokens.
   */
  static void methodsByType(
      PrintWriter w,
      Map<String, List<Evaluation.Outcome>> results,
      Map<String, JudgedScores> judged) {
    int width = width(results.keySet(), EVAL_NAME_WIDTH);
    w.printf(
        "%-" + width + "s %-18s %5s %6s %6s%s %7s %10s %8s %9s%n",
        "method",
        "type",
        "n",
        "EM",
        "F1",
        judged.isEmpty() ? "" : String.format(" %6s", "LJ"),
        "format",
        "retrievals",
        "tokens",
        "generated");
    results.forEach(
        (name, outcomes) -> {
          JudgedScores lj = judged.get(name);
          for (Map.Entry<String, Evaluation.Summary> e : Evaluation.byType(outcomes).entrySet()) {
            methodRow(
                w,
                width,
                name,
                e.getKey().isEmpty() ? "-" : e.getKey(),
                e.getValue(),
                lj == null ? null : lj.byType().get(e.getKey()));
          }
          methodRow(
              w, width, name, "all", Evaluation.summary(outcomes), lj == null ? null : lj.all());
        });
    w.flush();
  }

  /** A row of {@link #methodsByType}; {@code lj} null leaves the LJ column out (no judge). */
  private static void methodRow(
      PrintWriter w, int width, String method, String type, Evaluation.Summary s, Double lj) {
    w.printf(
        "%-" + width + "s %-18s %5d %6.3f %6.3f%s %6.0f%% %10.2f %8.0f %9.0f%n",
        method,
        type,
        s.count(),
        s.exactMatch(),
        s.f1(),
        lj == null ? "" : String.format(" %6.3f", lj),
        100 * s.wellFormed(),
        s.searches(),
        s.responseTokens(),
        s.generatedTokens());
  }

  /**
   * Where the hops fail, a row per method: hops, and the rates of queries naming the hop's entity,
   * gold passage retrieved, answer retrieved, and answer read out exactly.
   */
  static void hops(PrintWriter w, Map<String, HopDiagnostics.Summary> diagnostics) {
    int width = width(diagnostics.keySet(), EVAL_NAME_WIDTH);
    w.printf(
        "%-" + width + "s %6s %8s %8s %8s %8s%n",
        "method",
        "hops",
        "query",
        "gold",
        "answer",
        "read");
    diagnostics.forEach(
        (name, d) ->
            w.printf(
                "%-" + width + "s %6.0f %8.3f %8.3f %8.3f %8.3f%n",
                name,
                d.get("hops"),
                d.get("query_entity"),
                d.get("gold_retrieved"),
                d.get("answer_retrieved"),
                d.get("read_exact")));
    w.flush();
  }

  /**
   * The demo's LLM-as-judge table: per method EM, LJ and LJ per question type ({@code types}, a
   * dash where the judge has none).
   */
  static void judged(
      PrintWriter w,
      Map<String, Evaluation.Summary> summaries,
      Map<String, JudgedScores> judged,
      List<String> types) {
    int width = width(judged.keySet(), DEMO_NAME_WIDTH);
    w.printf("%-" + width + "s %6s %6s", "method", "EM", "LJ");
    for (String t : types) w.printf(" %" + Math.max(6, t.length() + 3) + "s", "LJ " + t);
    w.println();
    judged.forEach(
        (name, lj) -> {
          w.printf(
              "%-" + width + "s %6.3f %6.3f", name, summaries.get(name).exactMatch(), lj.all());
          for (String t : types) {
            Double v = lj.byType().get(t);
            w.printf(
                " %" + Math.max(6, t.length() + 3) + "s",
                v == null ? "-" : String.format("%.3f", v));
          }
          w.println();
        });
    w.flush();
  }

  /** pass@k, a row per model and a column per k. */
  static void passAtK(PrintWriter w, Map<String, PassAtK.Result> curves) {
    int width = width(curves.keySet(), DEMO_NAME_WIDTH);
    w.printf("%-" + width + "s", "pass@k");
    for (int k : curves.values().iterator().next().curve().keySet()) w.printf(" %6s", "k=" + k);
    w.println();
    curves.forEach(
        (name, r) -> {
          w.printf("%-" + width + "s", name);
          for (double v : r.curve().values()) w.printf(" %6.3f", v);
          w.println();
        });
    w.flush();
  }

  /**
   * The evaluation JSONL ({@code eval --out}): one line per (method, question), then one summary
   * line per (method, type) and (method, all); LJ fields where {@code judged} holds the method.
   * Written whole (temporary file, then rename).
   */
  static void writeJsonl(
      Path out,
      Map<String, List<Evaluation.Outcome>> results,
      Map<String, JudgedScores> judged,
      Function<String, String> passages,
      FormatRule rule)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    if (out.getParent() != null) Files.createDirectories(out.getParent());
    StringBuilder w = new StringBuilder();
    for (Map.Entry<String, List<Evaluation.Outcome>> e : results.entrySet()) {
      JudgedScores lj = judged.get(e.getKey());
      int index = 0;
      for (Evaluation.Outcome o : e.getValue()) {
        LlmJudge.Verdict verdict = lj == null ? null : lj.verdicts().get(index);
        index++;
        w.append(json.writeValueAsString(outcome(json, e.getKey(), o, verdict, passages, rule)))
            .append('\n');
      }
      Map<String, Evaluation.Summary> rows = new LinkedHashMap<>(Evaluation.byType(e.getValue()));
      rows.put("all", Evaluation.summary(e.getValue()));
      for (Map.Entry<String, Evaluation.Summary> r : rows.entrySet()) {
        Evaluation.Summary s = r.getValue();
        ObjectNode n = json.createObjectNode();
        n.put("summary", true);
        n.put("method", e.getKey());
        n.put("type", r.getKey());
        n.put("n", s.count());
        n.put("em", s.exactMatch());
        if (lj != null) {
          Double v = r.getKey().equals("all") ? lj.all() : lj.byType().get(r.getKey());
          if (v != null) n.put("lj", v);
        }
        n.put("f1", s.f1());
        n.put("well_formed", s.wellFormed());
        n.put("retrievals", s.searches());
        if (!s.callsByTool().isEmpty()) n.putPOJO("calls", s.callsByTool());
        n.put("response_tokens", s.responseTokens());
        n.put("generated_tokens", s.generatedTokens());
        if (r.getKey().equals("all")) {
          HopDiagnostics.summary(e.getValue(), passages)
              .rates()
              .forEach(
                  (k, v) -> {
                    if (!v.isNaN()) n.put("diag_" + k, v);
                  });
        }
        w.append(json.writeValueAsString(n)).append('\n');
      }
    }
    AtomicFiles.writeFile(out, w.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** One question's line: the answer, its scores, the verdict if judged, the hops, the text. */
  private static ObjectNode outcome(
      ObjectMapper json,
      String method,
      Evaluation.Outcome o,
      LlmJudge.Verdict verdict,
      Function<String, String> passages,
      FormatRule rule) {
    ObjectNode n = json.createObjectNode();
    n.put("method", method);
    n.put("id", o.question().id());
    n.put("question", o.question().question());
    n.put("type", o.question().type());
    n.putPOJO("golden_answers", o.question().goldenAnswers());
    n.put("answer", Scoring.read(o.rollout().text(), rule));
    n.put("em", o.score().exactMatch());
    if (verdict != null) {
      n.put("lj", verdict.correct() ? 1 : 0);
      n.put("lj_verdict", verdict.kind().name().toLowerCase(Locale.ROOT));
      if (verdict.reply() != null) n.put("lj_reply", verdict.reply());
    }
    n.put("f1", o.score().f1());
    n.put("reward", o.score().reward());
    n.put("well_formed", o.score().verdict().wellFormed());
    if (!o.score().verdict().wellFormed()) n.put("format_problem", o.score().verdict().problem());
    n.put("finished", o.rollout().finished());
    n.put("retrievals", o.rollout().toolCalls());
    if (!o.rollout().callsByTool().isEmpty()) n.putPOJO("calls", o.rollout().callsByTool());
    n.put("response_tokens", o.rollout().response().length);
    int generated = 0;
    for (boolean t : o.rollout().trained()) generated += t ? 1 : 0;
    n.put("generated_tokens", generated);
    ArrayNode hops = n.putArray("hops");
    for (HopDiagnostics.Hop h : HopDiagnostics.of(o.question(), o.rollout().text(), passages)) {
      ObjectNode hn = hops.addObject();
      hn.put("hop", h.position());
      hn.putPOJO("entities", h.entities());
      hn.put("answer", h.answer());
      hn.put("query_entity", h.queried());
      h.goldRetrieved().ifPresent(g -> hn.put("gold_retrieved", g));
      hn.put("answer_retrieved", h.answerRetrieved());
      hn.put("read_exact", h.read());
    }
    n.put("text", o.rollout().text());
    return n;
  }
}
