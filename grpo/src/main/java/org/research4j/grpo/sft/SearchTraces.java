package org.research4j.grpo.sft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.grpo.tool.Tool;
import org.research4j.grpo.tool.Tools;
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
 *
 * <p>With tools ({@link #build(List, Tools, PromptTemplate, Tokenizer, int, NameSwap, long,
 * boolean)}), a hop the question records as a computation ({@code "tool": "code"}, the arithmetic
 * world's last hop) is written as a call of the code tool with the hop's program, its real output
 * read back; {@link #computations} turns those hops into questions of their own, the code tool's
 * simple cases for a warm start that shows each tool alone.
 */
public final class SearchTraces {
  private SearchTraces() {}

  /** One trace per question that has hops; questions without them are skipped. */
  public static List<SftExample> build(
      List<QaExample> questions, Tool tool, PromptTemplate template, Tokenizer tok, int endOfTurn) {
    return build(questions, tool, template, tok, endOfTurn, null, 0, false);
  }

  /**
   * As {@link #build(List, Tool, PromptTemplate, Tokenizer, int)}, with every trace's names renamed
   * by {@code swap} (drawn from {@code seed}; none when {@code swap} is null), so that the trace is
   * answered by copying from its context, not from memory. With {@code readableOnly}, a question is
   * skipped when a hop's answer is not in what its search returned: such a trace would teach the
   * model to write a name it was never shown.
   */
  public static List<SftExample> build(
      List<QaExample> questions,
      Tool tool,
      PromptTemplate template,
      Tokenizer tok,
      int endOfTurn,
      NameSwap swap,
      long seed,
      boolean readableOnly) {
    List<String> queries = new ArrayList<>();
    List<List<QaExample.Hop>> hops = new ArrayList<>();
    for (QaExample q : questions) {
      List<QaExample.Hop> h = q.hops();
      hops.add(h);
      for (QaExample.Hop hop : h) queries.add(hop.question());
    }
    List<String> results = tool.call(queries);
    Random rnd = new Random(seed);
    List<SftExample> out = new ArrayList<>(questions.size());
    int r = 0;
    for (int i = 0; i < questions.size(); i++) {
      QaExample q = questions.get(i);
      List<QaExample.Hop> qh = hops.get(i);
      if (qh.isEmpty() || q.goldenAnswers().isEmpty()) {
        r += qh.size();
        continue;
      }
      List<String> subs = new ArrayList<>();
      List<String> answers = new ArrayList<>();
      for (QaExample.Hop hop : qh) {
        subs.add(hop.question());
        answers.add(hop.answer());
      }
      List<String> found = new ArrayList<>(results.subList(r, r + qh.size()));
      r += qh.size();
      if (readableOnly && !readable(answers, found)) continue;
      String question = q.question();
      String golden = q.goldenAnswers().getFirst();
      if (swap != null) {
        List<String> names = new ArrayList<>(answers);
        names.addAll(q.entities());
        Map<String, String> map =
            swap.renaming(
                names,
                question + " " + String.join(" ", subs) + " " + String.join(" ", found),
                rnd);
        question = NameSwap.apply(question, map);
        golden = NameSwap.apply(golden, map);
        subs = NameSwap.apply(subs, map);
        answers = NameSwap.apply(answers, map);
        found = NameSwap.apply(found, map);
      }
      Trace t = new Trace(tok);
      t.add(template.render(question), false);
      for (int h = 0; h < qh.size(); h++) {
        String sub = subs.get(h);
        t.add("<think>" + sub + "</think>" + tool.callOpen() + sub + tool.callClose(), true);
        t.add(tool.resultOpen(), false);
        t.addUntrusted(found.get(h));
        t.add(tool.resultClose(), false);
        t.add("<think> " + answers.get(h) + "</think>", true);
      }
      t.add("<answer>\\boxed{ " + golden + "}</answer>", true);
      t.addToken(endOfTurn);
      out.add(t.example());
    }
    return out;
  }

  /**
   * As {@link #build(List, Tool, PromptTemplate, Tokenizer, int, NameSwap, long, boolean)}, each
   * hop written with the tool it needs: a search hop searches its sub-question with the tool named
   * {@code search}, a computation hop runs its program with the tool named {@code code} ({@code
   * <think>sub-question</think><code>program</code><result>output</result><think> answer</think>}).
   * The calls of all traces go to each tool in one batch.
   *
   * @throws IllegalArgumentException naming the question, when a hop needs a tool that is not
   *     registered or a computation hop has no program
   */
  public static List<SftExample> build(
      List<QaExample> questions,
      Tools tools,
      PromptTemplate template,
      Tokenizer tok,
      int endOfTurn,
      NameSwap swap,
      long seed,
      boolean readableOnly) {
    Map<Tool, List<String>> inputs = new LinkedHashMap<>();
    List<List<Tool>> hopTools = new ArrayList<>();
    List<List<String>> hopInputs = new ArrayList<>();
    for (QaExample q : questions) {
      List<Tool> qt = new ArrayList<>();
      List<String> qi = new ArrayList<>();
      for (QaExample.Hop hop : q.hops()) {
        String name = hop.isComputation() ? "code" : "search";
        if (!tools.names().contains(name)) {
          throw new IllegalArgumentException(
              "question "
                  + q.id()
                  + ": a hop needs the "
                  + name
                  + " tool, which is not registered ("
                  + tools.names()
                  + ")");
        }
        if (hop.isComputation() && (hop.program() == null || hop.program().isBlank())) {
          throw new IllegalArgumentException(
              "question " + q.id() + ": computation hop '" + hop.question() + "' has no program");
        }
        Tool t = tools.byName(name);
        String input = hop.isComputation() ? hop.program() : hop.question();
        qt.add(t);
        qi.add(input);
        inputs.computeIfAbsent(t, k -> new ArrayList<>()).add(input);
      }
      hopTools.add(qt);
      hopInputs.add(qi);
    }
    Map<Tool, List<String>> outputs = new LinkedHashMap<>();
    inputs.forEach((t, in) -> outputs.put(t, t.call(in)));
    Map<Tool, Integer> cursor = new LinkedHashMap<>();
    Random rnd = new Random(seed);
    List<SftExample> out = new ArrayList<>(questions.size());
    for (int i = 0; i < questions.size(); i++) {
      QaExample q = questions.get(i);
      List<QaExample.Hop> qh = q.hops();
      List<String> found = new ArrayList<>(qh.size());
      for (Tool t : hopTools.get(i)) {
        int at = cursor.merge(t, 1, Integer::sum) - 1;
        found.add(outputs.get(t).get(at));
      }
      if (qh.isEmpty() || q.goldenAnswers().isEmpty()) continue;
      List<String> subs = new ArrayList<>();
      List<String> answers = new ArrayList<>();
      for (QaExample.Hop hop : qh) {
        subs.add(hop.question());
        answers.add(hop.answer());
      }
      if (readableOnly && !readable(answers, found)) continue;
      String question = q.question();
      String golden = q.goldenAnswers().getFirst();
      List<String> calls = new ArrayList<>(hopInputs.get(i));
      if (swap != null) {
        List<String> names = new ArrayList<>(answers);
        names.addAll(q.entities());
        Map<String, String> map =
            swap.renaming(
                names,
                question + " " + String.join(" ", subs) + " " + String.join(" ", found),
                rnd);
        question = NameSwap.apply(question, map);
        golden = NameSwap.apply(golden, map);
        subs = NameSwap.apply(subs, map);
        answers = NameSwap.apply(answers, map);
        found = NameSwap.apply(found, map);
        calls = NameSwap.apply(calls, map);
      }
      Trace t = new Trace(tok);
      t.add(template.render(question), false);
      for (int h = 0; h < qh.size(); h++) {
        Tool tool = hopTools.get(i).get(h);
        t.add(
            "<think>"
                + subs.get(h)
                + "</think>"
                + tool.callOpen()
                + calls.get(h)
                + tool.callClose(),
            true);
        t.add(tool.resultOpen(), false);
        t.addUntrusted(found.get(h));
        t.add(tool.resultClose(), false);
        t.add("<think> " + answers.get(h) + "</think>", true);
      }
      t.add("<answer>\\boxed{ " + golden + "}</answer>", true);
      t.addToken(endOfTurn);
      out.add(t.example());
    }
    return out;
  }

  /**
   * The computation hops of {@code questions} as questions of their own (the code tool's simple
   * cases: "How many years are there from 1518 to 1790?", answered by one program), type {@code
   * computation}, ids {@code QUESTION-cN}; questions without computation hops give none.
   */
  public static List<QaExample> computations(List<QaExample> questions) {
    return computations(questions, false);
  }

  /**
   * As {@link #computations(List)}; with {@code factsGiven} each simple case is instead the whole
   * question with the facts its searches would find written before it ("In what year was Kesto
   * Mills founded? 1928. In what year was Vremer Industries founded? 1968. How many years passed
   * between …?"), ids {@code QUESTION-fN}: the code tool on numbers read from the context, still
   * without a search call, so that calling code after searching is left to GRPO.
   */
  public static List<QaExample> computations(List<QaExample> questions, boolean factsGiven) {
    List<QaExample> out = new ArrayList<>();
    for (QaExample q : questions) {
      int n = 0;
      StringBuilder facts = new StringBuilder();
      for (QaExample.Hop hop : q.hops()) {
        if (!hop.isComputation()) {
          facts.append(hop.question()).append(' ').append(hop.answer()).append(". ");
          continue;
        }
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("question", hop.question());
        h.put("answer", hop.answer());
        h.put("program", hop.program());
        h.put("tool", "code");
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("type", "computation");
        meta.put("hops", List.of(h));
        out.add(
            factsGiven
                ? new QaExample(
                    q.id() + "-f" + n++, facts + q.question(), List.of(hop.answer()), meta)
                : new QaExample(q.id() + "-c" + n++, hop.question(), List.of(hop.answer()), meta));
      }
    }
    return out;
  }

  private static boolean readable(List<String> answers, List<String> found) {
    for (int h = 0; h < answers.size(); h++) {
      if (!found.get(h).contains(answers.get(h))) return false;
    }
    return true;
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
